"""Numbered SQL migrations (package data, read by collector.store.migrate)."""
