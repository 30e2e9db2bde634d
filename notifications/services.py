"""Writes with rules for integrations and the delivery state machine (claim, send, record, retry, sweep)."""

import logging
import random
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from artifacts.access import check_entity
from artifacts.errors import InvalidInput
from artifacts.expressions import JoinedRows
from artifacts.models import Entity
from notifications.http import TransportError, check_webhook_url
from notifications.models import Delivery, Integration
from notifications.transports import transport_for
from registry.models import RegisteredModel, RegistryEvent

log = logging.getLogger(__name__)

EVENT_KINDS = [value for value, _ in Integration.EVENT_CHOICES]
MAX_SECRET_CHARS = 200


# ---- Integrations -------------------------------------------------------------------------------


def _clean_integration(
    *, entity: Entity, name: str, kind: str, url: str, events: list[str], registered_model, signing_secret: str
) -> dict:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        raise InvalidInput("Give the integration a name of 1 to 100 characters.", field="name")
    if kind not in dict(Integration.KIND_CHOICES):
        raise InvalidInput(f"The kind must be one of: {', '.join(dict(Integration.KIND_CHOICES))}.", field="kind")
    url = check_webhook_url(url)
    if not isinstance(events, list | tuple) or not events:
        raise InvalidInput("Choose at least one event.", field="events")
    unknown = [e for e in events if e not in EVENT_KINDS]
    if unknown:
        raise InvalidInput(f"Unknown event {unknown[0]!r}; choose among {', '.join(EVENT_KINDS)}.", field="events")
    if registered_model is not None and registered_model.entity_id != entity.pk:
        raise InvalidInput("The registered model belongs to another entity.", field="registered_model")
    if not isinstance(signing_secret, str) or len(signing_secret) > MAX_SECRET_CHARS:
        raise InvalidInput(f"The signing secret is at most {MAX_SECRET_CHARS} characters.", field="signing_secret")
    if signing_secret and kind != Integration.WEBHOOK:
        raise InvalidInput("Only generic webhooks are signed; Slack does not check signatures.", field="signing_secret")
    return {
        "name": name,
        "kind": kind,
        "url": url,
        "events": sorted(set(events)),
        "registered_model": registered_model,
        "signing_secret": signing_secret,
    }


def integration_create(
    *,
    entity: Entity,
    user,
    name: str,
    kind: str,
    url: str,
    events: list[str],
    registered_model: RegisteredModel | None = None,
    signing_secret: str = "",
) -> Integration:
    check_entity(user, entity, admin=True)
    fields = _clean_integration(
        entity=entity,
        name=name,
        kind=kind,
        url=url,
        events=events,
        registered_model=registered_model,
        signing_secret=signing_secret,
    )
    return Integration.objects.create(entity=entity, created_by=user, **fields)


def integration_update(
    *,
    integration: Integration,
    user,
    name: str,
    events: list[str],
    registered_model: RegisteredModel | None = None,
    url: str = "",
    signing_secret: str | None = None,
) -> Integration:
    """Change an integration. An empty `url` keeps the saved one (the form never shows it); `signing_secret`
    None keeps the saved secret, "" removes it."""
    check_entity(user, integration.entity, admin=True)
    fields = _clean_integration(
        entity=integration.entity,
        name=name,
        kind=integration.kind,
        url=url or integration.url,
        events=events,
        registered_model=registered_model,
        signing_secret=integration.signing_secret if signing_secret is None else signing_secret,
    )
    for key, value in fields.items():
        setattr(integration, key, value)
    integration.save()
    return integration


def integration_set_enabled(*, integration: Integration, user, enabled: bool) -> Integration:
    check_entity(user, integration.entity, admin=True)
    integration.enabled = enabled
    if enabled:
        integration.disabled_reason = ""
        integration.last_error = ""
    integration.save(update_fields=["enabled", "disabled_reason", "last_error", "updated_at"])
    return integration


def integration_delete(*, integration: Integration, user) -> None:
    check_entity(user, integration.entity, admin=True)
    integration.delete()


# ---- The outbox ---------------------------------------------------------------------------------


def registered_model_url(*, entity_name: str, model_name: str) -> str:
    """The absolute URL of a registered model's page (the web app's `registry:model_detail`)."""
    return settings.SITE_URL + reverse("registry:model_detail", kwargs={"entity": entity_name, "name": model_name})


def _version_doc(version) -> dict | None:
    if version is None:
        return None
    artifact = version.artifact_version
    collection = artifact.collection
    return {
        "name": version.version_name,
        "index": version.index,
        "aliases": sorted(version.aliases.values_list("name", flat=True)),
        "source": f"{collection.project.name}/{collection.name}:{artifact.version_name}",
    }


def event_payload(event: RegistryEvent) -> dict:
    """The documented body of a delivery (docs/notifications.md), frozen when the event happens."""
    model = event.registered_model
    entity_name = model.entity.name
    version = _version_doc(event.version)
    if version is not None and event.kind == RegistryEvent.VERSION_LINKED:
        # The aliases asked for with the link are set just after the event is recorded, in the same transaction.
        version["aliases"] = sorted(set(version["aliases"]) | set(event.data.get("aliases", [])))
    if version is not None and event.kind == RegistryEvent.ALIAS_MOVED and event.alias:
        version["aliases"] = sorted(set(version["aliases"]) | {event.alias})
    from_version = event.from_version
    return {
        "event": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "entity": entity_name,
        "registered_model": {
            "name": model.name,
            "url": registered_model_url(entity_name=entity_name, model_name=model.name),
        },
        "version": version,
        "alias": event.alias,
        "from_version": {"name": from_version.version_name} if from_version is not None else None,
        "actor": event.actor.get_username() if event.actor_id else None,
    }


_INTEGRATIONS_FOR_EVENT = JoinedRows(
    {"i": Integration},
    "FROM notifications_integration i WHERE i.entity_id = %s AND i.enabled = %s "
    "AND (i.registered_model_id IS NULL OR i.registered_model_id = %s) ORDER BY i.name, i.id",
)


def deliveries_create_for_event(*, event: RegistryEvent) -> list[Delivery]:
    """Write a delivery for each enabled integration that wants this event; queue them once committed.

    Runs inside the transaction that records the event, so the event and its deliveries commit together.
    """
    model = event.registered_model
    # Every link and alias move runs this inside its transaction, most often to find nothing: a
    # hand-written query skips the ORM's compiling.
    rows = _INTEGRATIONS_FOR_EVENT.all([model.entity_id, True, model.pk])
    integrations = [
        integration
        for integration in (row[0]["i"] for row in rows)
        # Filtered here, not in SQL: JSON containment is not portable to the embedded SQLite.
        if event.kind in integration.events and not _told_by_the_link(event, integration)
    ]
    if not integrations:
        return []
    payload = event_payload(event)
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(integration=integration, event=event, kind=event.kind, payload=payload, next_attempt_at=now)
            for integration in integrations
        ]
    )
    for delivery in deliveries:
        transaction.on_commit(partial(delivery_queue, delivery.pk))
    return deliveries


def _told_by_the_link(event: RegistryEvent, integration: Integration) -> bool:
    """An alias given with a new link is already in that link's message: no second message for it."""
    return (
        event.kind == RegistryEvent.ALIAS_MOVED
        and event.data.get("with_link", False)
        and RegistryEvent.VERSION_LINKED in integration.events
    )


def delivery_queue(delivery_id: int, countdown: float = 0) -> bool:
    """Hand a delivery to a worker. A broker that cannot be reached only delays it: the sweep re-queues it."""
    from notifications.tasks import delivery_send_task

    try:
        delivery_send_task.apply_async((delivery_id,), countdown=countdown or None)
    except Exception:  # any broker error: the row is in the database, the sweep will find it
        log.warning("Could not queue delivery %s; the sweep will send it.", delivery_id, exc_info=True)
        return False
    return True


def _backoff(attempts: int) -> float:
    """Exponential backoff with jitter, so many failing deliveries do not come back in step."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return min(settings.WEBHOOK_RETRY_MAX_SECONDS, base) * random.uniform(0.5, 1.0)


def _claim(delivery_id: int) -> tuple[Delivery, uuid.UUID] | None:
    now = timezone.now()
    claim = uuid.uuid4()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT + settings.DELIVERY_LEASE_MARGIN_SECONDS)
    claimed = Delivery.objects.filter(id=delivery_id, state=Delivery.PENDING, next_attempt_at__lte=now).update(
        state=Delivery.SENDING, claim=claim, lease_until=lease_until, attempts=F("attempts") + 1, updated_at=now
    )
    if claimed != 1:
        return None
    return Delivery.objects.select_related("integration__entity").get(id=delivery_id), claim


def _finish(delivery: Delivery, token: uuid.UUID, **fields) -> bool:
    """Record the outcome, unless the lease was lost (another attempt took the row over)."""
    fields.setdefault("lease_until", None)
    return (
        Delivery.objects.filter(id=delivery.pk, state=Delivery.SENDING, claim=token).update(
            updated_at=timezone.now(), **fields
        )
        == 1
    )


def _integration_mark(integration: Integration, *, error: str = "", disable: bool = False) -> None:
    updates: dict = {"last_error": error[:500], "last_error_at": timezone.now() if error else None}
    if disable:
        updates.update(enabled=False, disabled_reason=error[:500])
    Integration.objects.filter(pk=integration.pk).update(**updates)


def delivery_send(*, delivery_id: int) -> str | None:
    """Claim a due delivery, send it once, record what happened. Returns the new state, None if not claimed."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return None
    delivery, claim = claimed
    integration = delivery.integration
    max_attempts = 1 if delivery.is_test else settings.WEBHOOK_MAX_ATTEMPTS
    if not integration.enabled and not delivery.is_test:
        _finish(delivery, claim, state=Delivery.FAILED, last_error="The integration is disabled.")
        return Delivery.FAILED
    try:
        response = transport_for(integration).notify(delivery)
    except TransportError as exc:
        error = exc.message[:500]
        if exc.permanent or delivery.attempts >= max_attempts:
            _finish(delivery, claim, state=Delivery.FAILED, last_status=exc.status, last_error=error)
            disable = exc.permanent and (integration.kind == Integration.SLACK or exc.status is None)
            _integration_mark(integration, error=error, disable=disable)
            return Delivery.FAILED
        delay = _backoff(delivery.attempts)
        if exc.retry_after is not None:
            delay = min(settings.WEBHOOK_RETRY_MAX_SECONDS, exc.retry_after)
        _finish(
            delivery,
            claim,
            state=Delivery.PENDING,
            claim=None,
            last_status=exc.status,
            last_error=error,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        delivery_queue(delivery.pk, countdown=delay)
        return Delivery.PENDING
    if not _finish(
        delivery, claim, state=Delivery.SENT, last_status=response.status, last_error="", sent_at=timezone.now()
    ):
        # Cannot happen while sends end before their lease; if it does, the row's new owner records it.
        log.warning("Delivery %s was sent after its lease ran out; another attempt owns it.", delivery.pk)
        return None
    if integration.last_error:
        _integration_mark(integration)
    return Delivery.SENT


def deliveries_sweep(*, limit: int = 500) -> int:
    """Re-queue what is due: pending rows whose time has come and sending rows whose worker died.

    A row that was sent is never touched again; a row claimed by a live worker is left to it.
    Returns how many deliveries were queued.
    """
    now = timezone.now()
    expired = Delivery.objects.filter(state=Delivery.SENDING, lease_until__lt=now)
    for delivery_id, attempts, is_test in expired.values_list("id", "attempts", "is_test")[:limit]:
        # A test message is sent once, in the request that asked for it; it is never retried.
        out_of_attempts = is_test or attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        Delivery.objects.filter(id=delivery_id, state=Delivery.SENDING, lease_until__lt=now).update(
            state=Delivery.FAILED if out_of_attempts else Delivery.PENDING,
            claim=None,
            lease_until=None,
            next_attempt_at=now,
            last_error="The worker stopped during the send.",
            updated_at=now,
        )
    due = Delivery.objects.filter(state=Delivery.PENDING, next_attempt_at__lte=now, is_test=False).order_by(
        "next_attempt_at"
    )
    queued = 0
    for delivery_id in due.values_list("id", flat=True)[:limit]:
        if not delivery_queue(delivery_id):
            break
        queued += 1
    return queued


def integration_send_test(*, integration: Integration, user) -> Delivery:
    """Send a test message now, in the request, once; the delivery shows with the others."""
    check_entity(user, integration.entity, admin=True)
    entity_name = integration.entity.name
    model_name = integration.registered_model.name if integration.registered_model_id else "Test model"
    payload = {
        "event": "test",
        "occurred_at": timezone.now().isoformat(),
        "entity": entity_name,
        "title": f"Test message from the model registry for {entity_name}",
        "text": f"This integration ({integration.name}) works: {user.get_username()} sent a test message.",
        "registered_model": {
            "name": model_name,
            "url": registered_model_url(entity_name=entity_name, model_name=model_name),
        },
        "version": None,
        "alias": "",
        "from_version": None,
        "actor": user.get_username(),
    }
    delivery = Delivery.objects.create(
        integration=integration, kind="test", payload=payload, is_test=True, next_attempt_at=timezone.now()
    )
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
