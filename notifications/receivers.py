"""The one receiver of the registry's `event_recorded` signal: it writes the outbox rows."""

from notifications.services import deliveries_create_for_event


def on_event_recorded(sender, event, **kwargs) -> None:
    deliveries_create_for_event(event=event)
