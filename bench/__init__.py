"""Performance benchmarks of Stadtkasse: real gunicorn, real HTTP, loopback only.

Run them as ``.venv/bin/python -m bench.run_counter``, ``bench.run_checkout`` and
``bench.queries``; docs/benchmarks.md explains each and records the results.
"""
