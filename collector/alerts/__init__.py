"""Alerts: subscriptions, the outbox, rendering per medium, and the senders."""
