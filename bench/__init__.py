"""Benchmarks of the platform against the local broker and databases (scripts, not tests).

Run ``./devctl bench`` (or ``uv run --frozen python -m bench``); see the README's "Benchmarks".
"""
