"""Many writers at once: version numbers, dedup, links and alias moves stay right.

On PostgreSQL the full sizes of the issue; on the embedded SQLite default a smaller run.
"""

import hashlib
import io
import threading

import pytest
from django.db import connection

from artifacts.blobstore import blob_put
from artifacts.models import ArtifactVersion
from artifacts.services import artifact_version_log
from registry.models import ModelVersion, RegistryAlias, RegistryEvent
from registry.services import model_link, registry_alias_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def scale(full: int, embedded: int) -> int:
    return full if connection.vendor == "postgresql" else embedded


def run_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released together; re-raise the first error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def entry_for(content: bytes) -> dict:
    from django.contrib.auth import get_user_model

    digest = hashlib.sha256(content).hexdigest()
    blob_put(stream=io.BytesIO(content), digest=digest, user=get_user_model().objects.get(username="bob"))
    return {"path": "model.onnx", "digest": digest, "size": len(content)}


def test_parallel_logs_of_distinct_content_get_every_index_once(project, member):
    threads, per_thread = scale(16, 4), scale(8, 3)
    entries = {(t, k): entry_for(f"weights {t} {k}".encode()) for t in range(threads) for k in range(per_thread)}

    def work(t):
        for k in range(per_thread):
            artifact_version_log(project=project, name="ckpt", type="model", entries=[entries[t, k]], user=member)

    run_threads(threads, work)
    indexes = sorted(ArtifactVersion.objects.values_list("index", flat=True))
    assert indexes == list(range(threads * per_thread))
    latest = ArtifactVersion.objects.get(aliases__name="latest")
    assert latest.index == threads * per_thread - 1


def test_parallel_logs_of_identical_content_make_one_version(project, member):
    entry = entry_for(b"the same weights")
    results = run_threads(
        scale(8, 4),
        lambda i: artifact_version_log(project=project, name="ckpt", type="model", entries=[entry], user=member),
    )
    assert ArtifactVersion.objects.count() == 1
    assert sorted(created for _, created in results) == [False] * (len(results) - 1) + [True]
    assert len({version.pk for version, _ in results}) == 1


def test_parallel_links_of_distinct_versions_get_every_index_once(team, project, member):
    count = scale(16, 4)
    versions = [
        artifact_version_log(project=project, name="ckpt", type="model", entries=[entry_for(b"w%d" % i)], user=member)[
            0
        ]
        for i in range(count)
    ]
    run_threads(
        count,
        lambda i: model_link(artifact_version=versions[i], entity=team, name="Nature Classifier", user=member),
    )
    assert sorted(ModelVersion.objects.values_list("index", flat=True)) == list(range(count))
    assert RegistryEvent.objects.filter(kind="model.created").count() == 1


def test_parallel_alias_moves_leave_one_target_and_an_unbroken_history(team, project, member):
    count = scale(16, 4)
    links = []
    for i in range(count):
        version, _ = artifact_version_log(
            project=project, name="ckpt", type="model", entries=[entry_for(b"m%d" % i)], user=member
        )
        links.append(model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)[0])

    def work(i):
        for step in range(3):
            registry_alias_set(version=links[(i + step) % count], alias="production", user=member)

    run_threads(count, work)
    alias = RegistryAlias.objects.get(name="production")
    moves = list(RegistryEvent.objects.filter(alias="production").order_by("id"))
    assert moves[0].from_version_id is None
    for before, after in zip(moves, moves[1:], strict=False):
        assert after.from_version_id == before.to_version_id
        assert after.from_version_id != after.to_version_id
    assert moves[-1].to_version_id == alias.version_id
