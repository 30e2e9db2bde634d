"""The scale fixture: a team's registry holding a year of checkpoints, written with COPY in minutes.

Rows go straight into the tables (the services would take hours at this size); the few rows with
rules that the benchmark itself relies on (the user, the team, the API key) go through the services.
"""

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

from django.db import connection

from bench.config import PASSWORD, TEAM, USER, Scale

FAMILIES = ["nature", "vision", "speech", "text", "tabular"]
YEAR = timedelta(days=365)
BIG_MODEL = "Big Model"
BIG_COLLECTION = "big-files"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def holds(info: dict) -> bool:
    """Whether the database holds the fixture `info` describes (the other scale's run writes the same one)."""
    from django.db import DatabaseError

    from artifacts.models import ApiKey, ArtifactVersion
    from artifacts.services import hash_api_key

    try:
        versions = ArtifactVersion.objects.filter(pk__lte=info["n_versions"] + 1).count()
        key = ApiKey.objects.filter(hashed_key=hash_api_key(info["api_key"]), revoked_at__isnull=True).exists()
    except DatabaseError:  # a build that stopped before its tables were made
        return False
    return key and versions == info["n_versions"] + 1


def first_unlinked(info: dict) -> int:
    """The first fixture artifact version no link points at yet: runs link them in order, also one that
    stopped midway."""
    from registry.models import ModelVersion

    linked = (
        ModelVersion.objects.filter(artifact_version_id__lte=info["n_versions"])
        .order_by("-artifact_version_id")
        .values_list("artifact_version_id", flat=True)
        .first()
    )
    return (linked or 0) + 1


def model_name(m: int) -> str:
    """Registered model m (0-based); model 0 is the one with `big_model_links` versions."""
    return BIG_MODEL if m == 0 else f"{FAMILIES[m % len(FAMILIES)]} classifier {m:04d}"


def project_name(p: int) -> str:
    return f"p{p:03d}"


def collection_name(c: int) -> str:
    return f"model-{c:05d}"


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _reset_sequences(tables: list[str]) -> None:
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"
            )


def build(scale: Scale, log=print) -> dict:
    """Fill an empty, migrated database; returns what the benchmark needs (API key, names, counts)."""
    from artifacts.models import (
        ArtifactAlias,
        ArtifactCollection,
        ArtifactVersion,
        Blob,
        ManifestEntry,
        Project,
    )
    from artifacts.services import api_key_create, team_create, user_create
    from registry.models import ModelVersion, RegisteredModel, RegistryAlias, RegistryEvent, Tag

    started = time.perf_counter()
    user = user_create(username=USER, password=PASSWORD, email="bench@example.invalid")
    team = team_create(name=TEAM, admin=user, description="The benchmark's registry")
    _, api_key = api_key_create(user=user, name="bench")
    now = datetime.now(UTC)
    start = now - YEAR

    def at(i: int, n: int) -> datetime:
        return start + YEAR * (i / max(n, 1))

    counts: dict[str, int] = {}

    def step(label: str, n: int) -> None:
        counts[label] = n
        log(f"    {label}: {n:,} ({time.perf_counter() - started:.0f}s)")

    pool = [sha(f"blob-{k}") for k in range(scale.blob_pool)]
    blob_size = [1024 * (1 + k % 4096) for k in range(scale.blob_pool)]
    step(
        "blobs",
        _copy(
            Blob._meta.db_table,
            ["digest", "size", "created_at"],
            ((pool[k], blob_size[k], start) for k in range(scale.blob_pool)),
        ),
    )

    step(
        "projects",
        _copy(
            Project._meta.db_table,
            ["id", "entity_id", "name", "description", "created_by_id", "created_at"],
            ((p + 1, team.pk, project_name(p), "", user.pk, start) for p in range(scale.projects)),
        ),
    )

    n_collections = scale.projects * scale.collections_per_project
    big_collection_id = n_collections + 1
    step(
        "artifacts",
        _copy(
            ArtifactCollection._meta.db_table,
            ["id", "project_id", "name", "type", "description", "created_at"],
            [
                (c + 1, c // scale.collections_per_project + 1, collection_name(c), "model", "", start)
                for c in range(n_collections)
            ]
            + [(big_collection_id, 1, BIG_COLLECTION, "dataset", "", start)],
        ),
    )

    per = scale.versions_per_collection
    n_versions = scale.versions
    big_version_id = n_versions + 1
    files = scale.files_per_version

    def version_rows():
        for v in range(n_versions):
            size = sum(blob_size[(v * files + j) % scale.blob_pool] for j in range(files))
            yield (
                v + 1,
                v // per + 1,
                v % per,
                sha(f"version-{v}"),
                json.dumps({"epoch": v % per}),
                "",
                size,
                files,
                user.pk,
                at(v, n_versions),
            )
        big_size = sum(blob_size[k % scale.blob_pool] for k in range(scale.big_version_files))
        yield (
            big_version_id,
            big_collection_id,
            0,
            sha("big-version"),
            "{}",
            "",
            big_size,
            scale.big_version_files,
            user.pk,
            now,
        )

    step(
        "artifact versions",
        _copy(
            ArtifactVersion._meta.db_table,
            [
                "id",
                "collection_id",
                "index",
                "digest",
                "metadata",
                "description",
                "size",
                "file_count",
                "created_by_id",
                "created_at",
            ],
            version_rows(),
        ),
    )

    def entry_rows():
        for v in range(n_versions):
            for j in range(files):
                k = (v * files + j) % scale.blob_pool
                yield (v + 1, f"weights/shard-{j:02d}.bin", pool[k], "", pool[k], blob_size[k])
        for j in range(scale.big_version_files):
            k = j % scale.blob_pool
            yield (big_version_id, f"images/{j // 100:03d}/{j:05d}.png", pool[k], "", pool[k], blob_size[k])

    step(
        "manifest entries",
        _copy(ManifestEntry._meta.db_table, ["version_id", "path", "blob_id", "ref", "digest", "size"], entry_rows()),
    )

    def artifact_alias_rows():
        for c in range(n_collections):
            yield (c + 1, "latest", c * per + per, now)
            yield (c + 1, "best", c * per + per // 2 + 1, now)
        yield (big_collection_id, "latest", big_version_id, now)

    step(
        "artifact aliases",
        _copy(
            ArtifactAlias._meta.db_table, ["collection_id", "name", "version_id", "updated_at"], artifact_alias_rows()
        ),
    )

    n_models = scale.registered_models
    step(
        "registered models",
        _copy(
            RegisteredModel._meta.db_table,
            ["id", "entity_id", "name", "description", "card", "created_by_id", "created_at", "updated_at"],
            (
                (
                    m + 1,
                    team.pk,
                    model_name(m),
                    f"Registered model {m}",
                    f"# {model_name(m)}\n\nTrained on data.",
                    user.pk,
                    at(m, n_models),
                    now,
                )
                for m in range(n_models)
            ),
        ),
    )
    step(
        "tags",
        _copy(
            Tag._meta.db_table,
            ["registered_model_id", "name"],
            (
                row
                for m in range(n_models)
                for row in (
                    (m + 1, FAMILIES[m % len(FAMILIES)]),
                    (m + 1, "production-ready" if m % 3 == 0 else "research"),
                )
            ),
        ),
    )

    # Links: model 0 has `big_model_links`; the rest are spread evenly. Each links a distinct artifact version.
    rest = scale.links - scale.big_model_links
    link_counts = [scale.big_model_links] + [
        rest // (n_models - 1) + (1 if m <= rest % (n_models - 1) else 0) for m in range(1, n_models)
    ]
    assert scale.links <= n_versions, "every link needs its own artifact version"
    links: list[tuple[int, int, int]] = []  # (link id, model id, index)
    av = 0
    for m, count in enumerate(link_counts):
        for i in range(count):
            links.append((len(links) + 1, m + 1, i))
            av += 1
    step(
        "links",
        _copy(
            ModelVersion._meta.db_table,
            ["id", "registered_model_id", "index", "artifact_version_id", "linked_by_id", "created_at"],
            ((lid, mid, idx, lid, user.pk, at(lid, len(links))) for lid, mid, idx in links),
        ),
    )

    first_link: dict[int, int] = {}
    last_link: dict[int, int] = {}
    for lid, mid, _ in links:
        first_link.setdefault(mid, lid)
        last_link[mid] = lid
    aliases = []
    for mid in first_link:
        aliases.append((mid, "latest", last_link[mid]))
        aliases.append((mid, "production", first_link[mid]))
        aliases.append((mid, "staging", (first_link[mid] + last_link[mid]) // 2))
    step(
        "registry aliases",
        _copy(
            RegistryAlias._meta.db_table,
            ["registered_model_id", "name", "version_id", "updated_at"],
            ((mid, name, vid, now) for mid, name, vid in aliases),
        ),
    )

    def event_rows():
        for m in range(n_models):
            yield (m + 1, RegistryEvent.MODEL_CREATED, None, "", None, None, "{}", user.pk, at(m, n_models))
        for lid, mid, _ in links:
            yield (
                mid,
                RegistryEvent.VERSION_LINKED,
                lid,
                "",
                None,
                None,
                '{"aliases": []}',
                user.pk,
                at(lid, len(links)),
            )
        for mid, name, vid in aliases:
            yield (mid, RegistryEvent.ALIAS_MOVED, vid, name, None, vid, "{}", user.pk, now)

    step(
        "events",
        _copy(
            RegistryEvent._meta.db_table,
            [
                "registered_model_id",
                "kind",
                "version_id",
                "alias",
                "from_version_id",
                "to_version_id",
                "data",
                "actor_id",
                "created_at",
            ],
            event_rows(),
        ),
    )

    _reset_sequences(
        [
            Project._meta.db_table,
            ArtifactCollection._meta.db_table,
            ArtifactVersion._meta.db_table,
            ManifestEntry._meta.db_table,
            ArtifactAlias._meta.db_table,
            RegisteredModel._meta.db_table,
            Tag._meta.db_table,
            ModelVersion._meta.db_table,
            RegistryAlias._meta.db_table,
            RegistryEvent._meta.db_table,
        ]
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"    fixture built in {seconds:.0f}s")
    return {
        "api_key": api_key,
        "counts": counts,
        "seconds": seconds,
        "next_free_version": len(links) + 1,  # artifact version ids above this are not linked yet
        "n_versions": n_versions,
    }
