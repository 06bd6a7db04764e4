"""A ZVT card terminal simulator for the demo and the tests (development tree only)."""
