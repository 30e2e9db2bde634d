"""Writes with rules on the artifacts side: one function each, one transaction each."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from artifacts.access import check_entity
from artifacts.blobstore import blobs_usable
from artifacts.errors import Conflict, InvalidInput, NotFound
from artifacts.expressions import JoinedRows
from artifacts.models import (
    ApiKey,
    ArtifactAlias,
    ArtifactCollection,
    ArtifactVersion,
    Blob,
    Entity,
    ManifestEntry,
    Membership,
    Project,
    Run,
    RunInput,
)
from artifacts.validation import (
    ENTITY_NAME_RE,
    LATEST,
    normalize_path,
    validate_alias,
    validate_aliases,
    validate_artifact_name,
    validate_artifact_type,
    validate_digest,
    validate_entity_name,
    validate_metadata,
    validate_project_name,
    validate_reference_uri,
)

User = get_user_model()
API_KEY_PREFIX = "rk_"
MAX_DESCRIPTION_CHARS = 20_000


# --- users, teams, membership, API keys -------------------------------------------------------


def user_entity_ensure(*, user, strict: bool = True) -> Entity | None:
    """The user's own entity, made on first need (users may come from the admin or createsuperuser).

    With strict=False a name that cannot be an entity gives None: such a user still works in teams.
    """
    entity = Entity.objects.filter(user=user).first()
    if entity is not None:
        return entity
    name = user.get_username()
    try:
        validate_entity_name(name)
        if Entity.objects.filter(name__ci=name).exclude(user=user).exists():
            raise Conflict(f"The name {name!r} is already taken by a team.")
    except (InvalidInput, Conflict):
        if strict:
            raise
        return None
    try:
        with transaction.atomic():
            return Entity.objects.create(name=name, kind=Entity.USER, user=user)
    except IntegrityError:
        return Entity.objects.get(user=user)


def user_create(*, username: str, password: str | None, email: str = "", is_superuser: bool = False) -> Any:
    validate_entity_name(username)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists() or Entity.objects.filter(name__ci=username).exists():
            raise Conflict(f"The name {username!r} is already taken.")
        if is_superuser:
            user = User.objects.create_superuser(username=username, email=email, password=password)
        else:
            user = User.objects.create_user(username=username, email=email, password=password)
        user_entity_ensure(user=user)
    return user


def team_create(*, name: str, admin, description: str = "") -> Entity:
    validate_entity_name(name)
    with transaction.atomic():
        # A username is a future entity name (see user_entity_ensure): a team may not take it.
        if Entity.objects.filter(name__ci=name).exists() or User.objects.filter(username__iexact=name).exists():
            raise Conflict(f"The name {name!r} is already taken.")
        try:
            with transaction.atomic():
                team = Entity.objects.create(name=name, kind=Entity.TEAM, description=description)
        except IntegrityError as exc:
            raise Conflict(f"The name {name!r} is already taken.") from exc
        Membership.objects.create(entity=team, user=admin, role=Membership.ADMIN)
    return team


def membership_set(*, team: Entity, user, role: str, actor) -> Membership:
    if team.kind != Entity.TEAM:
        raise InvalidInput("Members can only be added to teams.")
    if role not in dict(Membership.ROLE_CHOICES):
        raise InvalidInput(f"Unknown role {role!r}: use admin, member or viewer.", field="role")
    with transaction.atomic():
        Entity.objects.select_for_update().get(pk=team.pk)
        check_entity(actor, team, admin=True)
        membership, _ = Membership.objects.update_or_create(entity=team, user=user, defaults={"role": role})
        _ensure_an_admin_remains(team)
    return membership


def membership_remove(*, team: Entity, user, actor) -> None:
    with transaction.atomic():
        Entity.objects.select_for_update().get(pk=team.pk)
        check_entity(actor, team, admin=True)
        deleted, _ = Membership.objects.filter(entity=team, user=user).delete()
        if not deleted:
            raise NotFound(f"{user} is not a member of {team.name}.")
        _ensure_an_admin_remains(team)


def _ensure_an_admin_remains(team: Entity) -> None:
    if not Membership.objects.filter(entity=team, role=Membership.ADMIN).exists():
        raise InvalidInput(f"{team.name} must keep at least one admin.")


def hash_api_key(raw: str) -> str:
    # The key is 40 random bytes: a fast hash is enough, and lets every request look it up by index.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, user, name: str = "") -> tuple[ApiKey, str]:
    """Make a key; the raw key is returned once and never stored."""
    if len(name) > 100:
        raise InvalidInput("The key name is longer than 100 characters.", field="name")
    # Users made by createsuperuser or the admin get their own entity before their first API call.
    user_entity_ensure(user=user, strict=False)
    raw = API_KEY_PREFIX + secrets.token_urlsafe(40)
    key = ApiKey.objects.create(user=user, name=name, prefix=raw[: ApiKey.PREFIX_LEN], hashed_key=hash_api_key(raw))
    return key, raw


def api_key_revoke(*, key: ApiKey, user) -> ApiKey:
    if key.user_id != user.pk:
        raise NotFound("API key not found.")
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def api_key_authenticate(raw: str):
    """The active user owning this key, or None."""
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    # Every API request runs this: a hand-written query skips the ORM's compiling, which costs more here.
    now = timezone.now()
    stale_before = connection.ops.adapt_datetimefield_value(now - timedelta(seconds=60))
    found = _KEY_LOOKUP.first([stale_before, hash_api_key(raw)])
    if found is None:
        return None
    rows, extra = found
    user = rows["u"]
    if not user.is_active:
        return None
    if extra["key_stale"]:  # last_used_at is kept to the minute, not written on every request
        ApiKey.objects.filter(pk=extra["key_id"]).update(last_used_at=now)
    return user


_KEY_LOOKUP = JoinedRows(
    {"u": User},
    f"FROM {ApiKey._meta.db_table} k JOIN {User._meta.db_table} u ON u.{User._meta.pk.column} = k.user_id "
    "WHERE k.hashed_key = %s AND k.revoked_at IS NULL",
    extra={"key_id": "k.id", "key_stale": "(k.last_used_at IS NULL OR k.last_used_at < %s)"},
)


# --- projects and runs ------------------------------------------------------------------------


def project_ensure(*, entity: Entity, name: str, user) -> Project:
    """The project, made on first use by a member who may write (as `init` does in hosted registries)."""
    project = Project.objects.filter(entity=entity, name=name).select_related("entity").first()
    if project is not None:
        return project
    validate_project_name(name)
    check_entity(user, entity, write=True)
    try:
        with transaction.atomic():
            return Project.objects.create(entity=entity, name=name, created_by=user)
    except IntegrityError:
        return Project.objects.select_related("entity").get(entity=entity, name=name)


def run_create(
    *,
    project: Project,
    user,
    job_type: str = "",
    name: str = "",
    config: dict | None = None,
    run_id: str | None = None,
) -> Run:
    check_entity(user, project.entity, write=True)
    config = validate_metadata(config, field="config")
    if not isinstance(job_type, str) or len(job_type) > 64:
        raise InvalidInput("The job type must be a string of at most 64 characters.", field="job_type")
    if not isinstance(name, str) or len(name) > 128:
        raise InvalidInput("The run name must be a string of at most 128 characters.", field="name")
    fields = {"project": project, "job_type": job_type, "name": name, "config": config, "created_by": user}
    if run_id is not None:
        # Offline runs bring their own id; syncing one twice returns the run already made.
        if not ENTITY_NAME_RE.fullmatch(run_id) or len(run_id) > 32:
            raise InvalidInput(f"Invalid run id {run_id!r}.", field="run_id")
        with transaction.atomic():
            run, _ = Run.objects.get_or_create(project=project, run_id=run_id, defaults=fields)
        return run
    for _ in range(5):
        try:
            with transaction.atomic():
                return Run.objects.create(**fields)
        except IntegrityError:  # the 8-character random id collided; draw again
            continue
    raise Conflict("Could not allocate a run id; try again.")


def run_finish(*, run: Run, user, state: str = Run.FINISHED) -> Run:
    check_entity(user, run.project.entity, write=True)
    if state not in (Run.FINISHED, Run.FAILED, Run.CRASHED):
        raise InvalidInput(f"Unknown final state {state!r}: use finished, failed or crashed.", field="state")
    with transaction.atomic():
        run = Run.objects.select_for_update(of=("self",)).select_related("project__entity").get(pk=run.pk)
        if run.state == Run.RUNNING:
            run.state = state
            run.finished_at = timezone.now()
            run.save(update_fields=["state", "finished_at"])
    return run


def run_use_version(*, run: Run, version: ArtifactVersion, user) -> RunInput:
    """Record lineage: the run used this version. The caller has checked the user may read the version."""
    check_entity(user, run.project.entity, write=True)
    with transaction.atomic():
        run_input, _ = RunInput.objects.get_or_create(run=run, version=version)
    return run_input


# --- artifact versions and aliases ------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    path: str
    digest: str
    size: int | None
    ref: str

    def canonical(self) -> list:
        if self.ref:
            return [self.path, "ref", self.ref, self.digest, self.size]
        return [self.path, "blob", self.digest, self.size]


def _parse_manifest(entries: list[dict]) -> list[_Entry]:
    if not isinstance(entries, list):
        raise InvalidInput("The manifest must be a list of entries.", field="manifest")
    if not entries:
        raise InvalidInput("The manifest is empty: an artifact version needs at least one file or reference.")
    limit = settings.REGISTRY_MAX_MANIFEST_ENTRIES
    if len(entries) > limit:
        raise InvalidInput(f"The manifest has {len(entries)} entries; the limit is {limit}.", field="manifest")
    parsed: dict[str, _Entry] = {}
    for raw in entries:
        if not isinstance(raw, dict):
            raise InvalidInput("Each manifest entry must be an object.", field="manifest")
        unknown = set(raw) - {"path", "digest", "size", "ref"}
        if unknown:
            raise InvalidInput(f"Unknown manifest entry fields: {', '.join(sorted(unknown))}.", field="manifest")
        path = normalize_path(raw.get("path"))
        if path in parsed:
            raise InvalidInput(f"The path {path!r} appears twice in the manifest.", field="path")
        ref = raw.get("ref") or ""
        digest = raw.get("digest") or ""
        size = raw.get("size")
        if ref:
            validate_reference_uri(ref)
        elif not digest:
            raise InvalidInput(f"The entry {path!r} needs a sha256 digest or a reference URI.", field="digest")
        if digest:
            validate_digest(digest)
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise InvalidInput(f"The size of {path!r} must be a non-negative integer.", field="size")
        parsed[path] = _Entry(path=path, digest=digest, size=size, ref=ref)
    return sorted(parsed.values(), key=lambda e: e.path)


def manifest_digest(entries: list[_Entry]) -> str:
    """sha256 over the canonical, path-sorted manifest."""
    canonical = json.dumps([e.canonical() for e in entries], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_blobs(entries: list[_Entry], user) -> list[_Entry]:
    """Every blob entry must name a blob the user may use (see blobs_usable); its size comes from the blob."""
    wanted_list = list({e.digest for e in entries if not e.ref})
    usable = blobs_usable(user=user, digests=wanted_list)
    sizes: dict[str, int] = {}
    for start in range(0, len(wanted_list), 1000):
        batch = [d for d in wanted_list[start : start + 1000] if d in usable]
        sizes.update(Blob.objects.filter(digest__in=batch).values_list("digest", "size"))
    checked = []
    for e in entries:
        if e.ref:
            checked.append(e)
            continue
        if e.digest not in sizes:
            raise InvalidInput(f"The blob {e.digest} for {e.path!r} has not been uploaded.", field="manifest")
        if e.size is not None and e.size != sizes[e.digest]:
            raise InvalidInput(
                f"The size given for {e.path!r} ({e.size}) differs from the uploaded blob's ({sizes[e.digest]}).",
                field="size",
            )
        checked.append(_Entry(path=e.path, digest=e.digest, size=sizes[e.digest], ref=""))
    return checked


def _collection_for_update(*, project: Project, name: str, type_: str, description: str) -> ArtifactCollection:
    collection = ArtifactCollection.objects.filter(project=project, name=name).first()
    if collection is None:
        try:
            with transaction.atomic():
                collection = ArtifactCollection.objects.create(
                    project=project, name=name, type=type_, description=description
                )
        except IntegrityError:
            pass
    collection = ArtifactCollection.objects.select_for_update().get(project=project, name=name)
    if collection.type != type_:
        raise Conflict(
            f"The artifact {name!r} has type {collection.type!r}; it cannot be logged as {type_!r}.", field="type"
        )
    return collection


def artifact_version_log(
    *,
    project: Project,
    name: str,
    type: str,
    entries: list[dict],
    user,
    metadata: dict | None = None,
    description: str = "",
    aliases: list[str] | None = None,
    run: Run | None = None,
) -> tuple[ArtifactVersion, bool]:
    """Log a version; identical content returns the existing version (with the aliases applied).

    `latest` among the aliases is accepted and left to the server, which always points it at the
    newest version. Returns (version, created).
    """
    check_entity(user, project.entity, write=True)
    validate_artifact_name(name)
    validate_artifact_type(type)
    metadata = validate_metadata(metadata)
    # `latest` may be named when logging (the design's own example does): the server keeps it anyway.
    aliases = validate_aliases([a for a in aliases or [] if a != LATEST])
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(
            f"The description must be a string of at most {MAX_DESCRIPTION_CHARS} characters.", field="description"
        )
    if run is not None and run.project_id != project.pk:
        raise InvalidInput("The run belongs to another project.", field="run")
    parsed = _parse_manifest(entries)
    digest = manifest_digest(parsed)

    with transaction.atomic():
        checked = _check_blobs(parsed, user)
        collection = _collection_for_update(project=project, name=name, type_=type, description=description)
        version = ArtifactVersion.objects.filter(collection=collection, digest=digest).first()
        created = version is None
        if created:
            last = collection.versions.aggregate(m=Max("index"))["m"]
            version = ArtifactVersion.objects.create(
                collection=collection,
                index=0 if last is None else last + 1,
                digest=digest,
                metadata=metadata,
                description=description,
                size=sum(e.size or 0 for e in checked),
                file_count=len(checked),
                run=run,
                created_by=user,
            )
            ManifestEntry.objects.bulk_create(
                [
                    ManifestEntry(
                        version=version,
                        path=e.path,
                        blob_id=e.digest if not e.ref else None,
                        ref=e.ref,
                        digest=e.digest,
                        size=e.size,
                    )
                    for e in checked
                ],
                batch_size=2000,
            )
            _alias_point(collection, LATEST, version)
        for alias in aliases:
            _alias_point(collection, alias, version)
    return version, created


def _alias_point(collection: ArtifactCollection, alias: str, version: ArtifactVersion) -> None:
    """Under the collection's lock: an update, or a create the first time (no savepoint round trips)."""
    if not ArtifactAlias.objects.filter(collection=collection, name=alias).update(
        version=version, updated_at=timezone.now()
    ):
        ArtifactAlias.objects.create(collection=collection, name=alias, version=version)


def artifact_alias_set(*, version: ArtifactVersion, alias: str, user) -> ArtifactAlias:
    """Point an alias of the version's collection at it, moving it from another version if needed."""
    validate_alias(alias)
    collection = version.collection
    check_entity(user, collection.project.entity, write=True)
    with transaction.atomic():
        ArtifactCollection.objects.select_for_update().get(pk=collection.pk)
        _alias_point(collection, alias, version)
    return ArtifactAlias.objects.get(collection=collection, name=alias)


def artifact_alias_remove(*, collection: ArtifactCollection, alias: str, user) -> None:
    validate_alias(alias)
    check_entity(user, collection.project.entity, write=True)
    with transaction.atomic():
        ArtifactCollection.objects.select_for_update().get(pk=collection.pk)
        deleted, _ = ArtifactAlias.objects.filter(collection=collection, name=alias).delete()
    if not deleted:
        raise NotFound(f"The artifact {collection.name!r} has no alias {alias!r}.")
