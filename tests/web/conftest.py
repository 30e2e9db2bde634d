"""Fixtures of the web page tests: a signed-in client per role, a checkpoint, a registered model."""

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Every test makes four users; the default hasher would spend most of the suite's time on them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for(db):
    """A client signed in as the given user (or anonymous for None)."""

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def people(admin, member, viewer, outsider, team):
    return {"admin": admin, "member": member, "viewer": viewer, "outsider": outsider, "anonymous": None}


@pytest.fixture
def checkpoint(log_model):
    return log_model(b"weights-1", metadata={"accuracy": 0.91, "format": "onnx", "layers": {"hidden": [64]}})


@pytest.fixture
def registered(checkpoint, team, member, log_model):
    """`Nature Classifier` with v0 (staging) and v1 (the second checkpoint)."""
    from registry.services import model_link

    second = log_model(b"weights-2", metadata={"accuracy": 0.95})
    first, _ = model_link(
        artifact_version=checkpoint, entity=team, name="Nature Classifier", aliases=["staging"], user=member
    )
    model_link(artifact_version=second, entity=team, name="Nature Classifier", user=member)
    return first.registered_model


def htmx(client: Client, method: str, url: str, data=None):
    """A request as HTMX sends it."""
    return getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})
