"""The tutorial, run as a user runs it: a subprocess with the real client against a live server and worker."""

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from artifacts.blobstore import blob_open
from artifacts.models import ArtifactCollection, Run, RunInput
from notifications.models import Delivery, Integration, ReceivedWebhook
from notifications.services import integration_create
from registry.models import RegisteredModel
from tests.support import ROOT, wait_for

TUTORIAL = ROOT / "examples" / "model_registry_tutorial.py"
EPOCHS = 3


def load_tutorial_module():
    spec = importlib.util.spec_from_file_location("model_registry_tutorial", TUTORIAL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tutorial_run(live_server, team, admin, worker, settings, tmp_path):
    """The team of `make run`: an integration to the built-in receiver; then the tutorial, once."""
    from artifacts.services import api_key_create

    settings.DEBUG = True  # the development receiver answers only in DEBUG
    base_url = live_server.url.replace("localhost", "127.0.0.1")  # the address WEBHOOK_ALLOW_PRIVATE names
    settings.SITE_URL = base_url
    integration_create(
        entity=team,
        user=admin,
        name="dev receiver",
        kind=Integration.SLACK,
        url=f"{base_url}/dev/webhooks/",
        events=["version.linked", "alias.moved"],
    )
    _, key = api_key_create(user=admin, name="tutorial")
    env = {
        **os.environ,
        "REGISTRY_BASE_URL": base_url,
        "REGISTRY_API_KEY": key,
        "REGISTRY_CONFIG_DIR": str(tmp_path / "config"),
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, str(TUTORIAL), "--entity", team.name, "--project", "digits", "--epochs", str(EPOCHS)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result, env


def test_the_tutorial_fills_the_registry_with_a_real_trained_model(tutorial_run, team, tmp_path):
    result, env = tutorial_run
    digits = ArtifactCollection.objects.get(project__entity=team, name="Digits")
    dataset = digits.versions.get()
    assert (digits.type, dataset.file_count) == ("raw_images", 1797 + 1)
    assert "handwritten digits" in dataset.description
    assert dataset.entries.filter(path="index.csv").exists()

    training = Run.objects.get(project__entity=team, job_type="training")
    checkpoints = ArtifactCollection.objects.get(project__entity=team, name=f"digits-{training.run_id}")
    versions = list(checkpoints.versions.order_by("index"))
    assert checkpoints.type == "model" and len(versions) == EPOCHS
    for epoch, version in enumerate(versions, start=1):
        assert version.metadata["epoch"] == epoch
        assert version.metadata["format"] == "onnx" and version.metadata["num_classes"] == 10
        assert version.metadata["input_size"] == [1, 64] and len(version.metadata["index_to_class"]) == 10
        assert 0 <= version.metadata["val_accuracy"] <= 1 and version.metadata["val_loss"] > 0
        assert version.run == training
    best = max(versions, key=lambda v: (v.metadata["val_accuracy"], -v.index))
    assert checkpoints.aliases.get(name="best").version == best
    assert checkpoints.aliases.get(name="latest").version == versions[-1]

    model = RegisteredModel.objects.get(entity=team, name="Model Registry Tutorial")
    assert model.aliases.get(name="staging").version.artifact_version == best
    assert "# Model Registry Tutorial" in model.card
    assert sorted(model.tags.values_list("name", flat=True)) == ["digits", "onnx", "tutorial"]

    # Lineage: dataset -> training run -> checkpoint -> inference run.
    inference = Run.objects.get(project__entity=team, job_type="inference")
    assert RunInput.objects.filter(run=training, version=dataset).exists()
    assert RunInput.objects.filter(run=inference, version=best).exists()
    assert {training.state, inference.state} == {"finished"}

    # The consumer's download is byte-identical to what training logged, and still classifies digits.
    import onnxruntime as ort

    import registry_client as rc

    os.environ.update({k: env[k] for k in ("REGISTRY_BASE_URL", "REGISTRY_API_KEY", "REGISTRY_CACHE_DIR")})
    folder = Path(
        rc.Api().artifact(f"{team.name}/model-registry/Model Registry Tutorial:staging").download(tmp_path / "m")
    )
    downloaded = (folder / "model.onnx").read_bytes()
    entry = best.entries.get(path="model.onnx")
    with blob_open(entry.digest) as fh:
        assert downloaded == fh.read()
    assert hashlib.sha256(downloaded).hexdigest() == entry.digest

    tutorial = load_tutorial_module()
    data = tutorial.load_split(Path(rc.Api().artifact(f"{team.name}/digits/Digits:latest").download(tmp_path / "d")))
    x_test, y_test = data["test"]
    session = ort.InferenceSession(downloaded, providers=["CPUExecutionProvider"])
    labels = session.run(None, {session.get_inputs()[0].name: x_test.astype(np.float32)})[0]
    accuracy = float((labels == y_test).mean())
    assert accuracy > 0.85
    assert f"accuracy {accuracy:.4f}" in result.stdout

    # One alert, delivered by the worker to the development receiver.
    wait_for(lambda: Delivery.objects.filter(state=Delivery.SENT).exists(), message="the alert to be delivered")
    assert Delivery.objects.count() == 1
    assert ReceivedWebhook.objects.count() == 1
    assert "Model Registry Tutorial" in ReceivedWebhook.objects.get().body
