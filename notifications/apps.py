"""The notifications app: connects its one receiver when Django starts."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from notifications.receivers import on_event_recorded
        from registry.signals import event_recorded

        event_recorded.connect(on_event_recorded, dispatch_uid="notifications.deliveries")
