"""Webhook integrations and their deliveries (the outbox)."""
