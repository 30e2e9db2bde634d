"""The user's journey of the design through the real client over real HTTP to a live server."""

import filecmp
import os
from pathlib import Path

import pytest

import registry_client as rc
from artifacts.models import ArtifactVersion, Blob, Run, RunInput
from registry.models import ModelVersion, RegisteredModel

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = "acme/model-registry/Nature Classifier"


def test_log_dedup_link_resolve_and_download_gives_identical_bytes(client_env, write, project, member, viewer):
    client_env(member)
    dataset_dir = Path(write("digits/train.csv", b"1,2,3\n")).parent
    write("digits/test.csv", b"4,5,6\n")

    # 1. A training run logs a dataset and a checkpoint per epoch.
    with rc.init(entity="acme", project="nature", job_type="training", config={"lr": 0.01}) as run:
        dataset = rc.Artifact("digits", type="dataset", metadata={"rows": 2})
        dataset.add_dir(dataset_dir)
        logged_dataset = run.log_artifact(dataset)
        checkpoints = []
        for epoch in range(3):
            art = rc.Artifact("nature-" + run.id, type="model", metadata={"format": "onnx", "epoch": epoch})
            art.add_file(write(f"epoch{epoch}/model.onnx", f"weights of epoch {epoch}".encode()), name="model.onnx")
            checkpoints.append(run.log_artifact(art, aliases=["best"] if epoch == 1 else None))
        # 2. Identical content makes no new version (and uploads nothing new).
        blobs_before = Blob.objects.count()
        again = rc.Artifact("nature-" + run.id, type="model")
        again.add_file(write("again/model.onnx", b"weights of epoch 2"), name="model.onnx")
        same = run.log_artifact(again)
        link = run.link_artifact(checkpoints[1], TARGET, aliases=["staging"])

    assert (logged_dataset.name, logged_dataset.version, sorted(f["path"] for f in logged_dataset.files())) == (
        "digits",
        "v0",
        ["test.csv", "train.csv"],
    )
    assert [c.version for c in checkpoints] == ["v0", "v1", "v2"]
    assert checkpoints[1].aliases == ["best", "latest"]  # latest when it was logged
    assert (same.version, same.digest) == ("v2", checkpoints[2].digest)
    assert Blob.objects.count() == blobs_before
    assert (link.registered_model, link.version, link.aliases) == ("Nature Classifier", "v0", ["latest", "staging"])
    assert Run.objects.get(run_id=run.id).state == Run.FINISHED
    assert ArtifactVersion.objects.filter(run__run_id=run.id).count() == 4

    # The tutorial documents the model through the client.
    api = rc.Api()
    model = api.update_registered_model("acme", "Nature Classifier", card="# Nature Classifier\n", tags=["onnx"])
    assert (model.card, model.tags, model.aliases["staging"]) == ("# Nature Classifier\n", ["onnx"], "v0")

    # 5. A consumer fetches the registry alias and gets exactly those bytes, with lineage recorded.
    with rc.init(entity="acme", project="nature", job_type="evaluation") as consumer:
        used = consumer.use_artifact(TARGET + ":staging", type="model")
        root = used.download()
    assert (used.name, used.version, used.metadata["epoch"]) == ("nature-" + run.id, "v1", 1)
    assert Path(root, "model.onnx").read_bytes() == b"weights of epoch 1"
    assert RunInput.objects.get(run__run_id=consumer.id).version.index == 1
    assert [v.version for v in api.model_versions("acme", "Nature Classifier")] == ["v0"]
    assert api.aliases("acme", "Nature Classifier") == {"latest": "v0", "staging": "v0"}
    assert [m.name for m in api.registered_models("acme")] == ["Nature Classifier"]

    # A second download of the same content comes from the cache, byte for byte.
    second = api.artifact(TARGET + ":staging").download(root="second")
    assert filecmp.cmp(os.path.join(root, "model.onnx"), os.path.join(second, "model.onnx"), shallow=False)


def test_a_run_that_raises_finishes_failed(client_env, project, member):
    client_env(member)
    with pytest.raises(RuntimeError, match="training diverged"):
        with rc.init(entity="acme", project="nature", job_type="training") as run:
            raise RuntimeError("training diverged")
    assert Run.objects.get(run_id=run.id).state == Run.FAILED


def test_a_viewer_linking_gets_permission_denied_and_nothing_is_linked(client_env, write, log_model, viewer):
    log_model(b"weights")
    client_env(viewer)
    with pytest.raises(rc.PermissionDenied) as error:
        rc.Api().link("acme/nature/nature-ckpt:v0", TARGET, aliases=["staging"])
    assert str(error.value) == "Your role in 'acme' is viewer: it may read but not change."
    assert not RegisteredModel.objects.exists() and not ModelVersion.objects.exists()


def test_an_outsider_gets_not_found_for_a_private_artifact(client_env, log_model, outsider):
    log_model(b"weights")
    client_env(outsider)
    with pytest.raises(rc.NotFound) as error:
        rc.Api().artifact("acme/nature/nature-ckpt:latest")
    assert str(error.value) == "Entity 'acme' not found."


def test_a_revoked_key_is_refused_with_not_authenticated(client_env, project, member):
    from artifacts.models import ApiKey
    from artifacts.services import api_key_revoke

    client_env(member)
    api_key_revoke(key=ApiKey.objects.get(user=member), user=member)
    with pytest.raises(rc.NotAuthenticated) as error:
        rc.init(entity="acme", project="nature")
    assert str(error.value) == "Invalid or revoked API key."
    assert not Run.objects.exists()


def test_an_unknown_reference_is_not_found_with_the_servers_message(client_env, log_model, member):
    log_model(b"weights")
    client_env(member)
    with pytest.raises(rc.NotFound) as error:
        rc.Api().artifact("acme/model-registry/Nobody:production")
    assert str(error.value) == "Registered model acme/model-registry/Nobody not found."


def test_a_network_failure_fails_clearly_and_loses_nothing_already_logged(client_env, write, project, member):
    from registry_client.config import Settings
    from registry_client.transport import Transport

    key = client_env(member)
    run = rc.init(entity="acme", project="nature")
    first = rc.Artifact("ckpt", type="model")
    first.add_file(write("a.bin", b"epoch 0"))
    run.log_artifact(first)
    # The server goes away (nothing listens on port 9 of this machine).
    run._transport = Transport(Settings(base_url="http://127.0.0.1:9", api_key=key), retries=1, backoff=0.01)
    second = rc.Artifact("ckpt", type="model")
    second.add_file(write("b.bin", b"epoch 1"))
    with pytest.raises(rc.NetworkError, match="Cannot reach the registry at http://127.0.0.1:9"):
        run.log_artifact(second)
    assert list(ArtifactVersion.objects.values_list("index", flat=True)) == [0]


def test_an_offline_run_syncs_to_the_same_result_as_online_and_again_changes_nothing(
    client_env, write, project, member, tmp_path
):
    client_env(member)
    run = rc.init(entity="acme", project="nature", job_type="training", mode="offline", dir=tmp_path / "offline")
    art = rc.Artifact("ckpt", type="model", metadata={"epoch": 3})
    art.add_file(write("model.onnx", b"offline weights"))
    art.add_reference("s3://bucket/data/train.parquet")
    run.log_artifact(art, aliases=["best"])
    run.link_artifact(art, TARGET, aliases=["staging"])
    run.finish()
    assert not ArtifactVersion.objects.exists()

    assert rc.sync(tmp_path / "offline") == [run.id]
    assert rc.sync(tmp_path / "offline") == [run.id]

    version = ArtifactVersion.objects.get()
    assert (version.collection.name, version.index, version.metadata, version.run.run_id) == (
        "ckpt",
        0,
        {"epoch": 3},
        run.id,
    )
    assert sorted(version.aliases.values_list("name", flat=True)) == ["best", "latest"]
    assert ModelVersion.objects.get().artifact_version == version
    assert Run.objects.get(run_id=run.id).state == Run.FINISHED
    root = rc.Api().artifact(TARGET + ":staging").download(root="fetched")
    assert Path(root, "model.onnx").read_bytes() == b"offline weights"


def test_a_download_whose_bytes_do_not_match_the_digest_raises_and_leaves_no_file(
    client_env, log_model, member, tmp_path
):
    from django.core.files.storage import storages

    from artifacts.blobstore import blob_path

    version = log_model(b"weights")
    digest = version.entries.get().digest
    Path(storages["blobs"].path(blob_path(digest))).write_bytes(b"WEIGHTS")  # rotted on the server's disk
    client_env(member)
    with pytest.raises(rc.ChecksumMismatch, match=f"not {digest}"):
        rc.Api().artifact("acme/nature/nature-ckpt:v0").download(root="out")
    assert not (tmp_path / "out" / "model.onnx").exists()
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


def test_an_offline_blob_that_changed_before_sync_is_refused_at_once(client_env, project, member, write, tmp_path):
    client_env(member)
    run = rc.init(entity="acme", project="nature", job_type="training", mode="offline", dir=tmp_path / "offline")
    art = rc.Artifact("changing", type="model")
    art.add_file(write("model.onnx", b"original weights"))
    run.log_artifact(art)
    run.finish()
    (stored,) = (tmp_path / "offline").glob("run-*/blobs/*")
    stored.write_bytes(b"TAMPER")
    with pytest.raises(rc.ChecksumMismatch, match="changed since it was added"):
        rc.sync(tmp_path / "offline")
    assert not ArtifactVersion.objects.filter(collection__name="changing").exists()


def test_api_reads_one_registered_model_version_by_name_or_alias(client_env, log_model, member):
    log_model(b"w0")
    log_model(b"w1")
    client_env(member)
    api = rc.Api()
    api.link("acme/nature/nature-ckpt:v0", TARGET, aliases=["production"])
    api.link("acme/nature/nature-ckpt:v1", TARGET)
    by_alias = api.model_version("acme", "Nature Classifier", "production")
    assert (by_alias.version, by_alias.aliases, by_alias.artifact.version) == ("v0", ["production"], "v0")
    assert api.model_version("acme", "Nature Classifier", "v1").aliases == ["latest"]
    with pytest.raises(rc.NotFound, match="no version with the alias 'staging'"):
        api.model_version("acme", "Nature Classifier", "staging")


def test_api_searches_registered_models_by_name_and_pages_them(client_env, log_model, member):
    log_model(b"w0")
    client_env(member)
    api = rc.Api()
    for name in ("Vision Small", "Vision Large", "Speech", "Vision Tiny"):
        api.create_registered_model("acme", name, tags=["cv"] if "ision" in name else [])
    assert [m.name for m in api.registered_models("acme", query="VISION")] == [
        "Vision Large",
        "Vision Small",
        "Vision Tiny",
    ]
    assert [m.name for m in api.registered_models("acme", query="vision", limit=2, offset=1)] == [
        "Vision Small",
        "Vision Tiny",
    ]
    assert [m.name for m in api.registered_models("acme", tag="cv", query="small")] == ["Vision Small"]
    with pytest.raises(rc.InvalidInput, match="limit"):
        api.registered_models("acme", limit=0)


def test_a_download_without_the_cache_streams_into_place_and_keeps_no_copy(client_env, log_model, member, tmp_path):
    log_model(b"weights for serving")
    client_env(member)
    root = rc.Api().artifact("acme/nature/nature-ckpt:v0").download(root="serving", cache=False)
    path = Path(root, "model.onnx")
    assert path.read_bytes() == b"weights for serving"
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []
    assert [p.name for p in Path(root).iterdir()] == ["model.onnx"]  # no partial file left beside it


def test_a_download_without_the_cache_whose_bytes_do_not_match_leaves_nothing(client_env, log_model, member, tmp_path):
    from django.core.files.storage import storages

    from artifacts.blobstore import blob_path

    version = log_model(b"weights")
    digest = version.entries.get().digest
    Path(storages["blobs"].path(blob_path(digest))).write_bytes(b"WEIGHTS")
    client_env(member)
    with pytest.raises(rc.ChecksumMismatch, match=f"not {digest}"):
        rc.Api().artifact("acme/nature/nature-ckpt:v0").download(root="out", cache=False)
    assert list((tmp_path / "out").iterdir()) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_cached_file_changed_on_disk_is_fetched_again_not_handed_out(client_env, log_model, member, tmp_path):
    version = log_model(b"weights of the model")
    digest = version.entries.get().digest
    client_env(member)
    api = rc.Api()
    api.artifact("acme/nature/nature-ckpt:v0").download(root="first")
    (cached,) = [p for p in (tmp_path / "cache").rglob(digest)]
    cached.write_bytes(b"WEIGHTS OF THE MODEL")  # same size, other bytes: a disk error, an edit by hand
    root = api.artifact("acme/nature/nature-ckpt:v0").download(root="second")
    assert Path(root, "model.onnx").read_bytes() == b"weights of the model"
    assert cached.read_bytes() == b"weights of the model"  # the cache holds the right bytes again
