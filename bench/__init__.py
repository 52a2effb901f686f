"""Benchmarks: plain scripts that print figures (never timed tests)."""
