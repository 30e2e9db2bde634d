"""Writes with rules in the registry: links, aliases, model cards, tags. Each records a RegistryEvent."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from artifacts.access import check_entity, is_admin
from artifacts.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from artifacts.expressions import JoinedRows, execute, fetch_one, insert, stored
from artifacts.models import ArtifactVersion, Entity
from artifacts.validation import (
    LATEST,
    validate_alias,
    validate_aliases,
    validate_registered_model_name,
    validate_tag,
)
from registry.models import ModelCardRevision, ModelVersion, RegisteredModel, RegistryAlias, RegistryEvent, Tag
from registry.signals import event_recorded

MAX_CARD_CHARS = 200_000
MAX_TAGS = 50


def _record(
    *,
    registered_model: RegisteredModel,
    kind: str,
    actor,
    version: ModelVersion | None = None,
    alias: str = "",
    from_version_id: int | None = None,
    to_version: ModelVersion | None = None,
    data: dict | None = None,
) -> RegistryEvent:
    event = insert(
        RegistryEvent(
            registered_model=registered_model,
            kind=kind,
            version=version,
            alias=alias,
            from_version_id=from_version_id,
            to_version=to_version,
            data=data or {},
            actor=actor,
        )
    )
    event_recorded.send(sender=RegistryEvent, event=event)
    return event


def _lock_row(registered_model: RegisteredModel) -> None:
    """Lock the model's row until the transaction ends, without reading it again (alias moves need no more).

    SQLite has no row locks: its IMMEDIATE transactions already hold the whole database.
    """
    if connection.features.has_select_for_update:
        execute("SELECT id FROM registry_registeredmodel WHERE id = %s FOR UPDATE", [registered_model.pk])


def _touch(registered_model: RegisteredModel) -> None:
    execute("UPDATE registry_registeredmodel SET updated_at = %s WHERE id = %s", [_db_now(), registered_model.pk])


def _db_now(now: datetime | None = None):
    """Now (or `now`), as a hand-written statement passes a DateTimeField's value to the database."""
    return connection.ops.adapt_datetimefield_value(now or timezone.now())


def _lock(registered_model: RegisteredModel) -> RegisteredModel:
    """The model's row, locked until the transaction ends; its entity is the caller's (not locked, not re-read).

    Only the model's row: joining the entity under FOR UPDATE would lock it too and queue every write to
    any model of the team behind one another.
    """
    model = RegisteredModel.objects.select_for_update(of=("self",)).get(pk=registered_model.pk)
    model.entity = registered_model.entity
    return model


def _clean_tags(tags: list[str] | None) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list | tuple):
        raise InvalidInput("Tags must be a list of strings.", field="tags")
    cleaned = list(dict.fromkeys(validate_tag(t) for t in tags))
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"A registered model can have at most {MAX_TAGS} tags.", field="tags")
    return cleaned


def _clean_card(card: str) -> str:
    if not isinstance(card, str):
        raise InvalidInput("The model card must be a string of markdown.", field="card")
    if len(card) > MAX_CARD_CHARS:
        raise InvalidInput(f"The model card is longer than {MAX_CARD_CHARS} characters.", field="card")
    return card


def _clean_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > 500:
        raise InvalidInput("The description must be a string of at most 500 characters.", field="description")
    return description


def registered_model_create(
    *,
    entity: Entity,
    name: str,
    user,
    description: str = "",
    card: str = "",
    tags: list[str] | None = None,
) -> RegisteredModel:
    check_entity(user, entity, write=True)
    name = validate_registered_model_name(name)
    description = _clean_description(description)
    card = _clean_card(card)
    tags = _clean_tags(tags)
    with transaction.atomic():
        if RegisteredModel.objects.filter(entity=entity, name__ci=name).exists():
            raise Conflict(f"A registered model named {name!r} already exists in {entity.name}.", field="name")
        try:
            with transaction.atomic():
                model = RegisteredModel.objects.create(
                    entity=entity, name=name, description=description, card=card, created_by=user
                )
        except IntegrityError as exc:
            raise Conflict(f"A registered model named {name!r} already exists in {entity.name}.") from exc
        _record(registered_model=model, kind=RegistryEvent.MODEL_CREATED, actor=user)
        if card:
            ModelCardRevision.objects.create(registered_model=model, number=1, body=card, author=user)
        Tag.objects.bulk_create([Tag(registered_model=model, name=t) for t in tags])
    return model


# Locks the model's row (an UPDATE does, as SELECT ... FOR UPDATE would) and marks it changed, in one
# statement: a link always touches its model.
_MODEL_TOUCH = JoinedRows(
    {"rm": RegisteredModel},
    returning="UPDATE registry_registeredmodel SET updated_at = %s "
    "WHERE entity_id = %s AND LOWER(name) = LOWER(%s) RETURNING {columns}",
)


def _registered_model_ensure(*, entity: Entity, name: str, user) -> RegisteredModel:
    """Find the model (ignoring case) or create it; locked, and its updated_at set, until the transaction ends.

    Safe when many links race to create it.
    """
    found = _MODEL_TOUCH.first([_db_now(), entity.pk, name])
    if found is not None:
        model = found[0]["rm"]
        model.entity = entity
        return model
    try:
        with transaction.atomic():
            model = RegisteredModel.objects.create(entity=entity, name=name, created_by=user)
            _record(registered_model=model, kind=RegistryEvent.MODEL_CREATED, actor=user)
    except IntegrityError:
        model = RegisteredModel.objects.get(entity=entity, name__ci=name)
    model.entity = entity
    return _lock(model)


# Under the model's lock: a new link with the next index, unless this artifact version is linked already
# (then no row). Two index lookups and the insert, in one statement.
_LINK_INSERT = (
    'INSERT INTO registry_modelversion (registered_model_id, "index", artifact_version_id, linked_by_id, created_at) '
    "SELECT %s, next_index, %s, %s, %s "
    'FROM (SELECT COALESCE(MAX("index") + 1, 0) AS next_index FROM registry_modelversion '
    "WHERE registered_model_id = %s) AS newest "
    "WHERE NOT EXISTS "
    "(SELECT 1 FROM registry_modelversion WHERE registered_model_id = %s AND artifact_version_id = %s) "
    'RETURNING id, "index"'
)
_ALIAS_MOVE = "UPDATE registry_registryalias SET version_id = %s, updated_at = %s WHERE id = %s"
_LATEST_MOVE = (
    "UPDATE registry_registryalias SET version_id = %s, updated_at = %s WHERE registered_model_id = %s AND name = %s"
)


def model_link(
    *,
    artifact_version: ArtifactVersion,
    entity: Entity,
    name: str,
    user,
    aliases: list[str] | None = None,
) -> tuple[ModelVersion, bool]:
    """Link an artifact version into `entity/model-registry/name`, creating the registered model if missing.

    Linking the same artifact version again returns the existing link. Returns (link, created).
    """
    check_entity(user, entity, write=True)
    name = validate_registered_model_name(name)
    aliases = validate_aliases(aliases)
    _check_protected(entity, aliases, user)
    collection = artifact_version.collection
    if collection.type != "model":
        raise InvalidInput(
            f"Only artifacts of type 'model' can be linked; {collection.name!r} has type {collection.type!r}.",
            field="artifact",
        )
    if collection.project.entity_id != entity.pk:
        raise InvalidInput(
            f"{collection.project}/{artifact_version.qualified_name} belongs to another entity; "
            f"only artifacts of {entity.name}'s projects can be linked into its registry.",
            field="artifact",
        )
    # Every link takes this path, so its writes are hand-written statements (docs/bench.md).
    with transaction.atomic():
        model = _registered_model_ensure(entity=entity, name=name, user=user)
        now = timezone.now()
        db_now = _db_now(now)
        params = [model.pk, artifact_version.pk, user.pk, db_now, model.pk, model.pk, artifact_version.pk]
        inserted = fetch_one(_LINK_INSERT, params)
        created = inserted is not None
        if not created:
            link = ModelVersion.objects.select_related("linked_by").get(
                registered_model=model, artifact_version=artifact_version
            )
            link.registered_model, link.artifact_version = model, artifact_version
        else:
            link_id, index = inserted
            link = stored(
                ModelVersion(
                    id=link_id,
                    registered_model=model,
                    index=index,
                    artifact_version=artifact_version,
                    linked_by=user,
                    created_at=now,
                )
            )
            # Under the model's lock: an update, or a create for the first link (no savepoint round trips).
            if not execute(_LATEST_MOVE, [link.pk, db_now, model.pk, LATEST]):
                RegistryAlias.objects.create(registered_model=model, name=LATEST, version=link)
            _record(
                registered_model=model,
                kind=RegistryEvent.VERSION_LINKED,
                actor=user,
                version=link,
                data={"aliases": aliases},
            )
        for alias in aliases:
            # Marked so a notification of the link (which lists its aliases) is not followed by one per alias.
            _alias_point(
                model=model, alias=alias, version=link, user=user, data={"with_link": True} if created else None
            )
    if created:
        link.alias_names = sorted({LATEST, *aliases})  # under the lock nothing else can point at a new link
    return link, created


def _check_protected(entity: Entity, aliases: list[str], user) -> None:
    protected = set(settings.REGISTRY_PROTECTED_ALIASES) & set(aliases)
    if protected and not is_admin(user, entity):
        raise PermissionDenied(
            f"The alias {sorted(protected)[0]!r} is protected: only admins of {entity.name} may move it."
        )


_ALIAS_CURRENT = "SELECT id, version_id FROM registry_registryalias WHERE registered_model_id = %s AND name = %s"


def _alias_current(model: RegisteredModel, alias: str) -> tuple[int, int] | None:
    """(id, version id) of the model's alias, or None; a plain statement, as every alias move reads it."""
    return fetch_one(_ALIAS_CURRENT, [model.pk, alias])


def _alias_point(*, model: RegisteredModel, alias: str, version: ModelVersion, user, data: dict | None = None) -> bool:
    """Point the alias at the version under the model's lock; records the move. False if already there."""
    current = _alias_current(model, alias)
    if current is not None and current[1] == version.pk:
        return False
    if current is None:
        RegistryAlias.objects.create(registered_model=model, name=alias, version=version)
    else:
        execute(_ALIAS_MOVE, [version.pk, _db_now(), current[0]])
    _record(
        registered_model=model,
        kind=RegistryEvent.ALIAS_MOVED,
        actor=user,
        version=version,
        alias=alias,
        from_version_id=current[1] if current is not None else None,
        to_version=version,
        data=data,
    )
    return True


def registry_alias_set(*, version: ModelVersion, alias: str, user) -> bool:
    """Point an alias at this version, moving it off another. Returns False when nothing changed."""
    validate_alias(alias)
    model = version.registered_model
    check_entity(user, model.entity, write=True)
    _check_protected(model.entity, [alias], user)
    with transaction.atomic():
        _lock_row(model)
        changed = _alias_point(model=model, alias=alias, version=version, user=user)
        if changed:
            _touch(model)
    return changed


def registry_alias_remove(*, registered_model: RegisteredModel, alias: str, user) -> None:
    validate_alias(alias)
    check_entity(user, registered_model.entity, write=True)
    _check_protected(registered_model.entity, [alias], user)
    with transaction.atomic():
        _lock_row(registered_model)
        current = _alias_current(registered_model, alias)
        if current is None:
            raise NotFound(f"{registered_model.name} has no alias {alias!r}.")
        alias_id, version_id = current
        RegistryAlias.objects.filter(pk=alias_id).delete()
        _record(
            registered_model=registered_model,
            kind=RegistryEvent.ALIAS_REMOVED,
            actor=user,
            version=ModelVersion.objects.get(pk=version_id),
            alias=alias,
            from_version_id=version_id,
        )
        _touch(registered_model)


def model_card_save(*, registered_model: RegisteredModel, body: str, user) -> ModelCardRevision | None:
    """Save the card as a new revision; saving the same text again makes none and returns None."""
    body = _clean_card(body)
    check_entity(user, registered_model.entity, write=True)
    with transaction.atomic():
        model = _lock(registered_model)
        if body == model.card and model.card_revisions.exists():
            return None
        last = model.card_revisions.aggregate(m=Max("number"))["m"] or 0
        revision = ModelCardRevision.objects.create(registered_model=model, number=last + 1, body=body, author=user)
        model.card = body
        model.save(update_fields=["card", "updated_at"])
        _record(
            registered_model=model,
            kind=RegistryEvent.CARD_SAVED,
            actor=user,
            data={"revision": revision.number},
        )
    registered_model.card = body
    return revision


def model_tags_set(*, registered_model: RegisteredModel, tags: list[str], user) -> list[str]:
    """Replace the tags; records what was added and removed."""
    tags = _clean_tags(tags)
    return _tags_change(registered_model=registered_model, user=user, change=lambda current: tags)


def model_tag_add(*, registered_model: RegisteredModel, tag: str, user) -> list[str]:
    tag = validate_tag(tag)
    return _tags_change(registered_model=registered_model, user=user, change=lambda current: [*current, tag])


def model_tag_remove(*, registered_model: RegisteredModel, tag: str, user) -> list[str]:
    def change(current: list[str]) -> list[str]:
        if tag not in current:
            raise NotFound(f"{registered_model.name} has no tag {tag!r}.")
        return [t for t in current if t != tag]

    return _tags_change(registered_model=registered_model, user=user, change=change)


def _tags_change(*, registered_model: RegisteredModel, user, change) -> list[str]:
    """Apply `change(current tags) -> new tags` under the model's lock, so concurrent edits all count."""
    check_entity(user, registered_model.entity, write=True)
    with transaction.atomic():
        model = _lock(registered_model)
        current = sorted(model.tags.values_list("name", flat=True))
        tags = _clean_tags(change(current))
        added = [t for t in tags if t not in current]
        removed = sorted(set(current) - set(tags))
        if not added and not removed:
            return current
        Tag.objects.filter(registered_model=model, name__in=removed).delete()
        Tag.objects.bulk_create([Tag(registered_model=model, name=t) for t in added])
        model.save(update_fields=["updated_at"])
        _record(
            registered_model=model,
            kind=RegistryEvent.TAGS_CHANGED,
            actor=user,
            data={"added": added, "removed": removed},
        )
    return sorted(tags)


def registered_model_update(*, registered_model: RegisteredModel, user, description: str) -> RegisteredModel:
    description = _clean_description(description)
    check_entity(user, registered_model.entity, write=True)
    with transaction.atomic():
        model = _lock(registered_model)
        model.description = description
        model.save(update_fields=["description", "updated_at"])
    return model
