"""Webhook integrations, their deliveries (the outbox), and what the development receiver got."""

import uuid

from django.conf import settings
from django.db import models

from artifacts.models import Entity
from registry.models import RegisteredModel, RegistryEvent


class Integration(models.Model):
    """A Slack incoming webhook or a generic JSON webhook for an entity's registry or one registered model."""

    SLACK = "slack"
    WEBHOOK = "webhook"
    KIND_CHOICES = [(SLACK, "Slack incoming webhook"), (WEBHOOK, "Generic JSON webhook")]
    EVENT_CHOICES = [
        (RegistryEvent.VERSION_LINKED, "A version is linked"),
        (RegistryEvent.ALIAS_MOVED, "An alias is set or moved"),
        (RegistryEvent.ALIAS_REMOVED, "An alias is removed"),
    ]

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="integrations")
    registered_model = models.ForeignKey(
        RegisteredModel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="integrations",
        help_text="Empty: every registered model of the entity.",
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    # The URL of a Slack incoming webhook is itself the credential: never shown whole after saving.
    url = models.CharField(max_length=2000)
    signing_secret = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity", "name", "id"]

    def __str__(self) -> str:
        return f"{self.entity.name}: {self.name}"

    @property
    def url_masked(self) -> str:
        """Scheme and host, and the last four characters: enough to recognise, not enough to use."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        tail = self.url[-4:] if len(self.url) > 12 else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}/…{tail}"

    @property
    def is_failing(self) -> bool:
        return bool(self.disabled_reason or self.last_error)


class Delivery(models.Model):
    """One event for one integration. `uid` is the event id receivers de-duplicate on."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    STATE_CHOICES = [(PENDING, "Pending"), (SENDING, "Sending"), (SENT, "Sent"), (FAILED, "Failed")]

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(RegistryEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32)
    payload = models.JSONField()
    is_test = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A claim: which attempt holds the row and until when; an expired lease means its worker died.
    claim = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["integration", "event"], name="delivery_event_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["integration", "-created_at"], name="delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.integration_id} ({self.state})"


class ReceivedWebhook(models.Model):
    """A post the development receiver at /dev/webhooks/ got (DEBUG only)."""

    headers = models.JSONField(default=dict)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"webhook at {self.received_at:%Y-%m-%d %H:%M:%S}"
