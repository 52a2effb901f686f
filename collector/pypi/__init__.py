"""Clients for PyPI's APIs: each fetches, then parses into frozen dataclasses at the boundary."""
