"""The registry's one signal, sent inside the transaction that records an event."""

from django.dispatch import Signal

# Sent with `event` (a RegistryEvent) inside the transaction that wrote it.
event_recorded = Signal()
