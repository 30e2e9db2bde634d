"""JSON API of the model registry: registered models, links, registry aliases, cards, tags, history."""

from datetime import datetime

from django.db.models import CharField, Count, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from artifacts.access import get_entity_for_user
from artifacts.api import ERRORS, MAX_PAGE, Strict, VersionOut, alias_names_by_version, keyset_page, version_out
from artifacts.expressions import SortedNames
from registry.models import ModelVersion, RegisteredModel, RegistryAlias, RegistryEvent, Tag
from registry.selectors import model_version_find, ref_resolve, registered_model_get
from registry.services import (
    model_card_save,
    model_link,
    model_tags_set,
    registered_model_create,
    registered_model_update,
    registry_alias_remove,
    registry_alias_set,
)

router = Router(tags=["registry"])


class ModelIn(Strict):
    name: str
    description: str = ""
    card: str = ""
    tags: list[str] = []


class ModelPatch(Strict):
    description: str | None = None
    card: str | None = None
    tags: list[str] | None = None


class ModelOut(Schema):
    entity: str
    name: str
    description: str
    card: str
    tags: list[str]
    aliases: dict[str, str] = Field(..., description="alias → version name (vN)")
    version_count: int
    path: str = Field(..., description="entity/model-registry/Name")
    created_at: datetime
    updated_at: datetime


class LinkIn(Strict):
    artifact: str = Field(..., description="Reference of the artifact version: entity/project/name:vN or :alias.")
    aliases: list[str] = []


class LinkOut(Schema):
    registered_model: str
    entity: str
    version: str
    index: int
    aliases: list[str]
    artifact: VersionOut
    linked_by: str | None
    created_at: datetime


class LinkPage(Schema):
    items: list[LinkOut]
    next_cursor: str | None


class AliasIn(Strict):
    version: str = Field(..., description="The registered model's version to point at: vN or another alias.")


class AliasOut(Schema):
    alias: str
    version: str


class EventOut(Schema):
    kind: str
    version: str | None
    alias: str
    from_version: str | None
    to_version: str | None
    data: dict
    actor: str | None
    created_at: datetime


def _vname(v: ModelVersion | None) -> str | None:
    return v.version_name if v is not None else None


def _models():
    """Registered models with what model_out reads, in a fixed number of queries whatever their count."""
    return (
        RegisteredModel.objects.select_related("entity")
        .annotate(version_total=Count("versions", distinct=True))
        .prefetch_related("tags", Prefetch("aliases", queryset=RegistryAlias.objects.select_related("version")))
    )


def model_out(model: RegisteredModel) -> dict:
    if not hasattr(model, "version_total"):
        model = _models().get(pk=model.pk)
    return {
        "entity": model.entity.name,
        "name": model.name,
        "description": model.description,
        "card": model.card,
        "tags": sorted(t.name for t in model.tags.all()),
        "aliases": {a.name: a.version.version_name for a in model.aliases.all()},
        "version_count": model.version_total,
        "path": f"{model.entity.name}/model-registry/{model.name}",
        "created_at": model.created_at,
        "updated_at": model.updated_at,
    }


def link_out(link: ModelVersion, aliases: list[str] | None = None) -> dict:
    if aliases is None:
        aliases = getattr(link, "alias_names", None)  # fetched with the link by model_version_find
    if aliases is None:
        aliases = sorted(RegistryAlias.objects.filter(version=link).values_list("name", flat=True))
    return {
        "registered_model": link.registered_model.name,
        "entity": link.registered_model.entity.name,
        "version": link.version_name,
        "index": link.index,
        "aliases": aliases,
        "artifact": version_out(link.artifact_version),
        "linked_by": link.linked_by.get_username() if link.linked_by else None,
        "created_at": link.created_at,
    }


_LINKS = ModelVersion.objects.select_related(
    "registered_model__entity", "artifact_version__collection__project__entity", "artifact_version__run", "linked_by"
)


@router.get(
    "/registry/{entity}/models",
    response={200: list[ModelOut], **ERRORS},
    summary="List or search registered models by name (q: contains, ignoring case) and tag, by name, paged",
)
def model_list(
    request: HttpRequest,
    entity: str,
    tag: str | None = None,
    q: str | None = Query(None, max_length=128),
    limit: int = Query(500, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    ent = get_entity_for_user(request.auth, entity)
    # Not _models(): its version count aggregates every model of the entity before the page is cut. Here
    # the tags and the count are subqueries PostgreSQL runs for the page's rows only, after the LIMIT.
    versions = ModelVersion.objects.filter(registered_model=OuterRef("pk")).order_by().values("registered_model")
    models = RegisteredModel.objects.filter(entity=ent).order_by("name")
    if tag:
        models = models.filter(tags__name=tag)
    if q:
        models = models.filter(name__icontains=q)
    # Aliases as "name:vN" (alias names have no colon); an index lookup per alias, where a join of the
    # page's aliases to their versions was planned as a scan of every version.
    aliases = RegistryAlias.objects.filter(registered_model=OuterRef("pk")).annotate(
        entry=Concat("name", Value(":v"), Cast("version__index", CharField()))
    )
    models = models.annotate(
        tag_names=SortedNames(Tag.objects.filter(registered_model=OuterRef("pk"))),
        alias_entries=SortedNames(aliases, "entry"),
        version_count=Coalesce(Subquery(versions.annotate(n=Count("id")).values("n")), 0),
    )
    page = list(models[offset : offset + limit])
    for model in page:
        model.entity = ent
    return models_out(page)


def models_out(models: list[RegisteredModel]) -> list[dict]:
    """model_out for a page of models fetched with their tags, aliases and version count (model_list)."""
    aliases = {m.pk: dict(sorted(entry.split(":", 1) for entry in m.alias_entries)) for m in models}
    return [
        {
            "entity": m.entity.name,
            "name": m.name,
            "description": m.description,
            "card": m.card,
            "tags": m.tag_names,
            "aliases": aliases[m.pk],
            "version_count": m.version_count,
            "path": f"{m.entity.name}/model-registry/{m.name}",
            "created_at": m.created_at,
            "updated_at": m.updated_at,
        }
        for m in models
    ]


@router.post("/registry/{entity}/models", response={201: ModelOut, **ERRORS}, summary="Create a registered model")
def model_create(request: HttpRequest, entity: str, payload: ModelIn):
    ent = get_entity_for_user(request.auth, entity, write=True)
    model = registered_model_create(
        entity=ent,
        name=payload.name,
        user=request.auth,
        description=payload.description,
        card=payload.card,
        tags=payload.tags,
    )
    return Status(201, model_out(model))


@router.get("/registry/{entity}/models/{name}", response={200: ModelOut, **ERRORS}, summary="Get a registered model")
def model_get(request: HttpRequest, entity: str, name: str):
    return model_out(registered_model_get(user=request.auth, entity_name=entity, name=name))


@router.patch(
    "/registry/{entity}/models/{name}",
    response={200: ModelOut, **ERRORS},
    summary="Update a registered model's description, model card or tags (only the fields sent)",
)
def model_update(request: HttpRequest, entity: str, name: str, payload: ModelPatch):
    model = registered_model_get(user=request.auth, entity_name=entity, name=name, write=True)
    if payload.description is not None:
        model = registered_model_update(registered_model=model, user=request.auth, description=payload.description)
    if payload.card is not None:
        model_card_save(registered_model=model, body=payload.card, user=request.auth)
    if payload.tags is not None:
        model_tags_set(registered_model=model, tags=payload.tags, user=request.auth)
    return model_out(_models().get(pk=model.pk))


@router.get(
    "/registry/{entity}/models/{name}/versions",
    response={200: LinkPage, **ERRORS},
    summary="List a registered model's versions, newest first (cursor pagination)",
)
def link_list(
    request: HttpRequest,
    entity: str,
    name: str,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
):
    model = registered_model_get(user=request.auth, entity_name=entity, name=name)
    page, next_cursor = keyset_page(_LINKS.filter(registered_model=model), key="index", cursor=cursor, limit=limit)
    aliases = alias_names_by_version(RegistryAlias.objects.filter(version__in=page))
    items = [link_out(link, aliases.get(link.pk, [])) for link in page]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/registry/{entity}/models/{name}/versions",
    response={201: LinkOut, 200: LinkOut, **ERRORS},
    summary="Link an artifact version (creates the registered model when missing; 200 if already linked)",
)
def link_create(request: HttpRequest, entity: str, name: str, payload: LinkIn):
    resolved = ref_resolve(user=request.auth, text=payload.artifact)
    # Only an entity's own artifacts can be linked into its registry, so most often the artifact version's
    # entity (fetched with the caller's role) is the one named; model_link checks the caller may write to it.
    ent = resolved.artifact_version.collection.project.entity
    if ent.name.lower() != entity.lower():
        ent = get_entity_for_user(request.auth, entity, write=True)
    link, created = model_link(
        artifact_version=resolved.artifact_version, entity=ent, name=name, user=request.auth, aliases=payload.aliases
    )
    # The link holds what link_out reads (its model and entity, the resolved artifact version, the caller).
    return Status(201 if created else 200, link_out(link))


@router.get(
    "/registry/{entity}/models/{name}/versions/{selector}",
    response={200: LinkOut, **ERRORS},
    summary="Get a registered model's version by vN or alias",
)
def link_get(request: HttpRequest, entity: str, name: str, selector: str):
    return link_out(model_version_find(user=request.auth, entity_name=entity, name=name, selector=selector))


@router.get(
    "/registry/{entity}/models/{name}/aliases",
    response={200: list[AliasOut], **ERRORS},
    summary="List a registered model's aliases",
)
def alias_list(request: HttpRequest, entity: str, name: str):
    model = registered_model_get(user=request.auth, entity_name=entity, name=name)
    rows = RegistryAlias.objects.filter(registered_model=model).values_list("name", "version__index").order_by("name")
    return [{"alias": alias, "version": f"v{index}"} for alias, index in rows]


@router.put(
    "/registry/{entity}/models/{name}/aliases/{alias}",
    response={200: AliasOut, **ERRORS},
    summary="Point a registry alias at a version (moving it off another)",
)
def alias_put(request: HttpRequest, entity: str, name: str, alias: str, payload: AliasIn):
    link = model_version_find(user=request.auth, entity_name=entity, name=name, selector=payload.version)
    registry_alias_set(version=link, alias=alias, user=request.auth)
    return {"alias": alias, "version": link.version_name}


@router.delete(
    "/registry/{entity}/models/{name}/aliases/{alias}",
    response={204: None, **ERRORS},
    summary="Remove a registry alias",
)
def alias_delete(request: HttpRequest, entity: str, name: str, alias: str):
    model = registered_model_get(user=request.auth, entity_name=entity, name=name)
    registry_alias_remove(registered_model=model, alias=alias, user=request.auth)
    return Status(204, None)


@router.get(
    "/registry/{entity}/models/{name}/history",
    response={200: list[EventOut], **ERRORS},
    summary="The registered model's events, newest first (alias history with ?alias=)",
)
def history(
    request: HttpRequest, entity: str, name: str, alias: str | None = None, limit: int = Query(100, ge=1, le=500)
):
    model = registered_model_get(user=request.auth, entity_name=entity, name=name)
    events = (
        RegistryEvent.objects.filter(registered_model=model)
        .select_related("version", "from_version", "to_version", "actor")
        .order_by("-id")
    )
    if alias:
        events = events.filter(alias=alias)
    return [
        {
            "kind": e.kind,
            "version": _vname(e.version),
            "alias": e.alias,
            "from_version": _vname(e.from_version),
            "to_version": _vname(e.to_version),
            "data": e.data,
            "actor": e.actor.get_username() if e.actor else None,
            "created_at": e.created_at,
        }
        for e in events[:limit]
    ]
