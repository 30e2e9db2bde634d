"""JSON API for integrations (team admins only): list, create, update, delete, test, deliveries."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from artifacts.access import get_entity_for_user
from artifacts.api import ERRORS, MAX_PAGE, Strict, keyset_page
from artifacts.errors import NotFound
from artifacts.models import Entity
from notifications.models import Delivery, Integration
from notifications.services import (
    integration_create,
    integration_delete,
    integration_send_test,
    integration_set_enabled,
    integration_update,
)
from registry.selectors import registered_model_get

router = Router(tags=["integrations"])


class IntegrationIn(Strict):
    name: str
    kind: str = Field(..., description="slack (an incoming-webhook URL) or webhook (generic JSON)")
    url: str = Field(..., description="https only; stored as a secret and shown masked afterwards")
    events: list[str] = Field(..., description="version.linked, alias.moved, alias.removed")
    registered_model: str | None = Field(None, description="Only this registered model's events (name)")
    signing_secret: str = Field("", description="generic webhooks: HMAC-SHA256 of the body in X-Registry-Signature")
    enabled: bool = True


class IntegrationPatch(Strict):
    name: str | None = None
    url: str | None = Field(None, description="Omit to keep the saved URL")
    events: list[str] | None = None
    registered_model: str | None = Field(None, description="Omit to keep; empty string for the whole registry")
    signing_secret: str | None = Field(None, description="Omit to keep; empty string removes it")
    enabled: bool | None = None


class IntegrationOut(Schema):
    id: int
    entity: str
    name: str
    kind: str
    url: str = Field(..., description="masked")
    events: list[str]
    registered_model: str | None
    signed: bool
    enabled: bool
    disabled_reason: str
    last_error: str
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    event_id: str
    kind: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def integration_out(integration: Integration) -> dict:
    return {
        "id": integration.pk,
        "entity": integration.entity.name,
        "name": integration.name,
        "kind": integration.kind,
        "url": integration.url_masked,
        "events": integration.events,
        "registered_model": integration.registered_model.name if integration.registered_model_id else None,
        "signed": bool(integration.signing_secret),
        "enabled": integration.enabled,
        "disabled_reason": integration.disabled_reason,
        "last_error": integration.last_error,
        "created_at": integration.created_at,
    }


def delivery_out(delivery: Delivery) -> dict:
    return {
        "id": delivery.pk,
        "event_id": str(delivery.uid),
        "kind": delivery.kind,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "sent_at": delivery.sent_at,
        "created_at": delivery.created_at,
    }


def _admin_entity(request: HttpRequest, entity: str) -> Entity:
    return get_entity_for_user(request.auth, entity, admin=True)


def _integration(request: HttpRequest, entity: str, integration_id: int) -> Integration:
    team = _admin_entity(request, entity)
    integration = (
        Integration.objects.select_related("entity", "registered_model").filter(entity=team, pk=integration_id).first()
    )
    if integration is None:
        raise NotFound(f"Integration {integration_id} of {team.name} not found.")
    return integration


def _model(request: HttpRequest, entity: Entity, name: str | None):
    if not name:
        return None
    return registered_model_get(user=request.auth, entity_name=entity.name, name=name)


@router.get("/entities/{entity}/integrations", response={200: list[IntegrationOut], **ERRORS})
def integrations_list(request: HttpRequest, entity: str):
    team = _admin_entity(request, entity)
    integrations = Integration.objects.select_related("entity", "registered_model").filter(entity=team)
    return [integration_out(i) for i in integrations.order_by("id")]


@router.post("/entities/{entity}/integrations", response={201: IntegrationOut, **ERRORS})
def integrations_create(request: HttpRequest, entity: str, payload: IntegrationIn):
    team = _admin_entity(request, entity)
    integration = integration_create(
        entity=team,
        user=request.auth,
        name=payload.name,
        kind=payload.kind,
        url=payload.url,
        events=payload.events,
        registered_model=_model(request, team, payload.registered_model),
        signing_secret=payload.signing_secret,
    )
    if not payload.enabled:
        integration = integration_set_enabled(integration=integration, user=request.auth, enabled=False)
    return Status(201, integration_out(integration))


@router.get("/entities/{entity}/integrations/{integration_id}", response={200: IntegrationOut, **ERRORS})
def integrations_get(request: HttpRequest, entity: str, integration_id: int):
    return integration_out(_integration(request, entity, integration_id))


@router.patch("/entities/{entity}/integrations/{integration_id}", response={200: IntegrationOut, **ERRORS})
def integrations_update(request: HttpRequest, entity: str, integration_id: int, payload: IntegrationPatch):
    integration = _integration(request, entity, integration_id)
    if payload.registered_model is None:
        model = integration.registered_model
    else:
        model = _model(request, integration.entity, payload.registered_model)
    integration = integration_update(
        integration=integration,
        user=request.auth,
        name=integration.name if payload.name is None else payload.name,
        events=integration.events if payload.events is None else payload.events,
        registered_model=model,
        url=payload.url or "",
        signing_secret=payload.signing_secret,
    )
    if payload.enabled is not None and payload.enabled != integration.enabled:
        integration = integration_set_enabled(integration=integration, user=request.auth, enabled=payload.enabled)
    return integration_out(integration)


@router.delete("/entities/{entity}/integrations/{integration_id}", response={204: None, **ERRORS})
def integrations_delete(request: HttpRequest, entity: str, integration_id: int):
    integration_delete(integration=_integration(request, entity, integration_id), user=request.auth)
    return Status(204, None)


@router.post("/entities/{entity}/integrations/{integration_id}/test", response={200: DeliveryOut, **ERRORS})
def integrations_test(request: HttpRequest, entity: str, integration_id: int):
    integration = _integration(request, entity, integration_id)
    return delivery_out(integration_send_test(integration=integration, user=request.auth))


@router.get("/entities/{entity}/integrations/{integration_id}/deliveries", response={200: DeliveryPage, **ERRORS})
def integrations_deliveries(
    request: HttpRequest,
    entity: str,
    integration_id: int,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
):
    integration = _integration(request, entity, integration_id)
    deliveries = Delivery.objects.filter(integration=integration)
    items, next_cursor = keyset_page(deliveries, key="id", cursor=cursor, limit=limit)
    return {"items": [delivery_out(d) for d in items], "next_cursor": next_cursor}
