"""JSON API of the artifacts side: blobs, runs, artifact versions, aliases, files, references."""

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from artifacts.access import get_entity_for_user, get_project_for_user
from artifacts.blobstore import CHUNK_SIZE, blob_open, blob_put, blobs_missing
from artifacts.downloads import IMMUTABLE, blob_response
from artifacts.errors import InvalidInput, NotFound
from artifacts.models import ArtifactAlias, ArtifactCollection, ArtifactVersion, Blob, ManifestEntry, Project, Run
from artifacts.selectors import collection_get, version_find
from artifacts.services import (
    artifact_alias_remove,
    artifact_alias_set,
    artifact_version_log,
    project_ensure,
    run_create,
    run_finish,
    run_use_version,
)
from artifacts.validation import normalize_path, validate_digest

router = Router(tags=["artifacts"])

MAX_PAGE = 200


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Detail(Schema):
    detail: str


ERRORS = {400: Detail, 401: Detail, 403: Detail, 404: Detail, 409: Detail, 422: Detail}


# --- schemas ------------------------------------------------------------------------------------


class MissingIn(Strict):
    digests: list[str] = Field(..., max_length=100_000)


class MissingOut(Schema):
    missing: list[str]


class BlobOut(Schema):
    digest: str
    size: int


class RunIn(Strict):
    job_type: str = ""
    name: str = ""
    config: dict[str, Any] | None = None
    run_id: str | None = Field(None, description="Offline runs bring their own id; the same id returns the same run.")


class RunOut(Schema):
    id: str
    entity: str
    project: str
    name: str
    job_type: str
    config: dict[str, Any]
    state: str
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class FinishIn(Strict):
    state: Literal["finished", "failed", "crashed"] = "finished"


class UseIn(Strict):
    ref: str


class EntryIn(Strict):
    path: str
    digest: str | None = None
    size: int | None = None
    ref: str | None = None


class VersionIn(Strict):
    name: str
    type: str
    manifest: list[EntryIn] = Field(..., max_length=100_000)
    description: str = ""
    metadata: dict[str, Any] | None = None
    aliases: list[str] = []
    run_id: str | None = None


class EntryOut(Schema):
    path: str
    digest: str
    size: int | None
    ref: str


class VersionOut(Schema):
    entity: str
    project: str
    name: str
    type: str
    version: str
    index: int
    digest: str
    description: str
    metadata: dict[str, Any]
    size: int
    file_count: int
    aliases: list[str]
    run_id: str | None
    created_at: datetime
    ref: str = Field(..., description="The reference naming exactly this version: entity/project/name:vN.")


class VersionDetail(VersionOut):
    manifest: list[EntryOut]
    registered_model: str | None = None
    registered_model_version: str | None = None


class VersionPage(Schema):
    items: list[VersionOut]
    next_cursor: str | None


class CollectionOut(Schema):
    name: str
    type: str
    description: str
    version_count: int
    created_at: datetime


class AliasIn(Strict):
    version: str = Field(..., description="The version to point at: vN, or another alias.")


class AliasOut(Schema):
    alias: str
    version: str


class Viewer(Schema):
    username: str
    entities: list[str]


# --- helpers ------------------------------------------------------------------------------------


def run_out(run: Run) -> dict:
    return {
        "id": run.run_id,
        "entity": run.project.entity.name,
        "project": run.project.name,
        "name": run.name,
        "job_type": run.job_type,
        "config": run.config,
        "state": run.state,
        "created_by": run.created_by.get_username() if run.created_by else None,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }


def version_out(version: ArtifactVersion, aliases: list[str] | None = None) -> dict:
    collection = version.collection
    project = collection.project
    if aliases is None:
        aliases = getattr(version, "alias_names", None)  # fetched with the version by the hot lookups
    if aliases is None:
        aliases = sorted(ArtifactAlias.objects.filter(version=version).values_list("name", flat=True))
    return {
        "entity": project.entity.name,
        "project": project.name,
        "name": collection.name,
        "type": collection.type,
        "version": version.version_name,
        "index": version.index,
        "digest": version.digest,
        "description": version.description,
        "metadata": version.metadata,
        "size": version.size,
        "file_count": version.file_count,
        "aliases": aliases,
        "run_id": version.run.run_id if version.run_id else None,
        "created_at": version.created_at,
        "ref": f"{project.entity.name}/{project.name}/{collection.name}:{version.version_name}",
    }


def version_detail(version: ArtifactVersion, model_version=None) -> dict:
    data = version_out(version)
    data["manifest"] = [
        {"path": e.path, "digest": e.digest, "size": e.size, "ref": e.ref}
        for e in ManifestEntry.objects.filter(version=version).order_by("path")
    ]
    if model_version is not None:
        data["registered_model"] = model_version.registered_model.name
        data["registered_model_version"] = model_version.version_name
    return data


def _run_get(project: Project, run_id: str) -> Run:
    run = Run.objects.select_related("project__entity", "created_by").filter(project=project, run_id=run_id).first()
    if run is None:
        raise NotFound(f"Run {project}/{run_id} not found.")
    return run


def _version(user, entity: str, project: str, name: str, selector: str) -> ArtifactVersion:
    return version_find(user=user, entity=entity, project=project, name=name, selector=selector)


def alias_names_by_version(aliases) -> dict[int, list[str]]:
    """{version id: sorted alias names} for an alias queryset (artifact or registry aliases): one query a page."""
    names: dict[int, list[str]] = {}
    for version_id, name in aliases.values_list("version_id", "name"):
        names.setdefault(version_id, []).append(name)
    return {version_id: sorted(found) for version_id, found in names.items()}


def keyset_page(queryset, *, key: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of a queryset ordered by `-key`, and the cursor of the next page (None on the last)."""
    before = _cursor(cursor)
    if before is not None:
        queryset = queryset.filter(**{f"{key}__lt": before})
    page = list(queryset.order_by(f"-{key}")[: limit + 1])
    items = page[:limit]
    return items, (str(getattr(items[-1], key)) if len(page) > limit else None)


def _cursor(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not re.fullmatch(r"\d{1,18}", value):
        raise InvalidInput(f"Invalid cursor {value!r}.", field="cursor")
    return int(value)


# --- who am I -----------------------------------------------------------------------------------


@router.get("/viewer", response={200: Viewer, **ERRORS}, summary="The caller and the entities it can see")
def viewer(request: HttpRequest):
    from artifacts.access import entities_for_user

    user = request.auth
    return {"username": user.get_username(), "entities": [e.name for e in entities_for_user(user)]}


# --- blobs --------------------------------------------------------------------------------------


@router.post("/blobs/missing", response={200: MissingOut, **ERRORS}, summary="Which of these digests the server lacks")
def blobs_missing_view(request: HttpRequest, payload: MissingIn):
    return {"missing": blobs_missing(user=request.auth, digests=payload.digests)}


@router.put(
    "/blobs/{digest}",
    response={200: BlobOut, 201: BlobOut, 411: Detail, **ERRORS},
    summary="Upload a blob: the raw body, streamed and checked against the digest",
    openapi_extra={
        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def blob_upload(request: HttpRequest, digest: str):
    validate_digest(digest)
    if not request.META.get("CONTENT_LENGTH", "").isdigit():
        # Django reads a body up to its Content-Length; a chunked body would arrive empty.
        return Status(411, {"detail": "Content-Length is required: send the blob with its length, not chunked."})
    existed = Blob.objects.filter(digest=digest).exists()
    # Read the WSGI input in chunks (never request.body): memory stays flat whatever the size.
    blob = blob_put(stream=request, digest=digest, user=request.auth)
    return Status(200 if existed else 201, {"digest": blob.digest, "size": blob.size})


# --- runs ---------------------------------------------------------------------------------------


@router.post("/projects/{entity}/{project}/runs", response={201: RunOut, 200: RunOut, **ERRORS}, summary="Create a run")
def run_create_view(request: HttpRequest, entity: str, project: str, payload: RunIn):
    ent = get_entity_for_user(request.auth, entity, write=True)
    proj = project_ensure(entity=ent, name=project, user=request.auth)
    existed = bool(payload.run_id) and Run.objects.filter(project=proj, run_id=payload.run_id).exists()
    run = run_create(
        project=proj,
        user=request.auth,
        job_type=payload.job_type,
        name=payload.name,
        config=payload.config,
        run_id=payload.run_id,
    )
    return Status(200 if existed else 201, run_out(run))


@router.get("/projects/{entity}/{project}/runs", response={200: RunPage, **ERRORS}, summary="List runs, newest first")
def run_list(
    request: HttpRequest, entity: str, project: str, cursor: str | None = None, limit: int = Query(50, ge=1, le=200)
):
    proj = get_project_for_user(request.auth, entity, project)
    runs = Run.objects.filter(project=proj).select_related("project__entity", "created_by")
    page, next_cursor = keyset_page(runs, key="id", cursor=cursor, limit=limit)
    return {"items": [run_out(r) for r in page], "next_cursor": next_cursor}


@router.get("/projects/{entity}/{project}/runs/{run_id}", response={200: RunOut, **ERRORS}, summary="Get a run")
def run_get(request: HttpRequest, entity: str, project: str, run_id: str):
    return run_out(_run_get(get_project_for_user(request.auth, entity, project), run_id))


@router.post(
    "/projects/{entity}/{project}/runs/{run_id}/finish", response={200: RunOut, **ERRORS}, summary="Finish a run"
)
def run_finish_view(request: HttpRequest, entity: str, project: str, run_id: str, payload: FinishIn):
    run = _run_get(get_project_for_user(request.auth, entity, project), run_id)
    return run_out(run_finish(run=run, user=request.auth, state=payload.state))


@router.post(
    "/projects/{entity}/{project}/runs/{run_id}/use",
    response={200: VersionDetail, **ERRORS},
    summary="Record that the run used a version (lineage); returns that version",
)
def run_use(request: HttpRequest, entity: str, project: str, run_id: str, payload: UseIn):
    from registry.selectors import ref_resolve

    run = _run_get(get_project_for_user(request.auth, entity, project), run_id)
    resolved = ref_resolve(
        user=request.auth, text=payload.ref, entity=run.project.entity.name, project=run.project.name
    )
    run_use_version(run=run, version=resolved.artifact_version, user=request.auth)
    return version_detail(resolved.artifact_version, resolved.model_version)


# --- artifact versions --------------------------------------------------------------------------


@router.post(
    "/projects/{entity}/{project}/artifacts",
    response={201: VersionDetail, 200: VersionDetail, **ERRORS},
    summary="Commit a version from a manifest (201 new, 200 identical content already logged)",
)
def version_commit(request: HttpRequest, entity: str, project: str, payload: VersionIn):
    ent = get_entity_for_user(request.auth, entity, write=True)
    proj = project_ensure(entity=ent, name=project, user=request.auth)
    run = _run_get(proj, payload.run_id) if payload.run_id else None
    version, created = artifact_version_log(
        project=proj,
        name=payload.name,
        type=payload.type,
        entries=[e.model_dump(exclude_none=True) for e in payload.manifest],
        user=request.auth,
        metadata=payload.metadata,
        description=payload.description,
        aliases=payload.aliases,
        run=run,
    )
    version = ArtifactVersion.objects.select_related("collection__project__entity", "run").get(pk=version.pk)
    return Status(201 if created else 200, version_detail(version))


@router.get(
    "/projects/{entity}/{project}/artifacts",
    response={200: list[CollectionOut], **ERRORS},
    summary="List the artifacts (collections) of a project",
)
def collection_list(request: HttpRequest, entity: str, project: str, type: str | None = None):
    from django.db.models import Count

    proj = get_project_for_user(request.auth, entity, project)
    collections = ArtifactCollection.objects.filter(project=proj).annotate(version_count=Count("versions"))
    if type:
        collections = collections.filter(type=type)
    return list(collections.order_by("name"))


@router.get(
    "/projects/{entity}/{project}/artifacts/{name}/versions",
    response={200: VersionPage, **ERRORS},
    summary="List versions of an artifact, newest first (cursor pagination)",
)
def version_list(
    request: HttpRequest,
    entity: str,
    project: str,
    name: str,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
):
    proj = get_project_for_user(request.auth, entity, project)
    collection = collection_get(project=proj, name=name)
    versions = ArtifactVersion.objects.filter(collection=collection).select_related("run")
    page, next_cursor = keyset_page(versions, key="index", cursor=cursor, limit=limit)
    aliases = alias_names_by_version(ArtifactAlias.objects.filter(version__in=page))
    for v in page:
        v.collection = collection
    items = [version_out(v, aliases.get(v.pk, [])) for v in page]
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/projects/{entity}/{project}/artifacts/{name}/versions/{selector}",
    response={200: VersionDetail, **ERRORS},
    summary="Get a version (by vN or alias) with its manifest",
)
def version_get_view(request: HttpRequest, entity: str, project: str, name: str, selector: str):
    return version_detail(_version(request.auth, entity, project, name, selector))


@router.put(
    "/projects/{entity}/{project}/artifacts/{name}/aliases/{alias}",
    response={200: AliasOut, **ERRORS},
    summary="Point an alias at a version",
)
def artifact_alias_put(request: HttpRequest, entity: str, project: str, name: str, alias: str, payload: AliasIn):
    version = _version(request.auth, entity, project, name, payload.version)
    artifact_alias_set(version=version, alias=alias, user=request.auth)
    return {"alias": alias, "version": version.version_name}


@router.delete(
    "/projects/{entity}/{project}/artifacts/{name}/aliases/{alias}",
    response={204: None, **ERRORS},
    summary="Remove an alias",
)
def artifact_alias_delete(request: HttpRequest, entity: str, project: str, name: str, alias: str):
    proj = get_project_for_user(request.auth, entity, project)
    artifact_alias_remove(collection=collection_get(project=proj, name=name), alias=alias, user=request.auth)
    return Status(204, None)


# --- references ---------------------------------------------------------------------------------


@router.get("/resolve", response={200: VersionDetail, **ERRORS}, summary="Resolve any reference string")
def resolve(request: HttpRequest, ref: str, entity: str | None = None, project: str | None = None):
    from registry.selectors import ref_resolve

    resolved = ref_resolve(user=request.auth, text=ref, entity=entity, project=project)
    return version_detail(resolved.artifact_version, resolved.model_version)


# --- files --------------------------------------------------------------------------------------


@router.get(
    "/projects/{entity}/{project}/artifacts/{name}/versions/{selector}/files/{path:path}",
    response={200: None, 206: None, 304: None, 416: None, **ERRORS},
    summary="Download one file of a version (streamed, Range supported)",
)
def file_download(request: HttpRequest, entity: str, project: str, name: str, selector: str, path: str):
    version = _version(request.auth, entity, project, name, selector)
    path = normalize_path(path)
    entry = ManifestEntry.objects.filter(version=version, path=path).first()
    if entry is None:
        raise NotFound(f"{version.qualified_name} has no file {path!r}.")
    if entry.is_reference:
        raise InvalidInput(f"{path!r} is a reference to {entry.ref}; fetch it from there.", field="path")
    return blob_response(request, digest=entry.digest, size=entry.size or 0, filename=path.rsplit("/", 1)[-1])


class _Pipe:
    """A write-only, unseekable sink for zipfile; what was written is taken out chunk by chunk."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _zip_stream(entries: list[ManifestEntry]) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.path)
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, mode="w", force_zip64=(entry.size or 0) > 2**31) as dest:
                with blob_open(entry.digest) as src:
                    while chunk := src.read(CHUNK_SIZE):
                        dest.write(chunk)
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


@router.get(
    "/projects/{entity}/{project}/artifacts/{name}/versions/{selector}/zip",
    response={200: None, **ERRORS},
    summary="Download a whole version as a zip stream (stored, not compressed; references left out)",
)
def version_zip(request: HttpRequest, entity: str, project: str, name: str, selector: str):
    version = _version(request.auth, entity, project, name, selector)
    entries = list(ManifestEntry.objects.filter(version=version, blob__isnull=False).order_by("path"))
    response = StreamingHttpResponse(_zip_stream(entries), content_type="application/zip")
    filename = f"{version.collection.name}-{version.version_name}.zip"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["ETag"] = f'"{version.digest}"'
    response["Cache-Control"] = IMMUTABLE
    return response
