"""Stadtkasse: point of sale and payment platform for German municipalities."""
