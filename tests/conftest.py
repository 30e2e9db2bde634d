"""Fixtures shared by every test: people, a team with each role, projects, blobs."""

import hashlib
import io
import os
import shutil
import tempfile

import pytest

from tests import support


@pytest.fixture(scope="session")
def _test_var_dir():
    folder = tempfile.mkdtemp(prefix="registry-test-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _blobs_in_a_test_folder(settings, _test_var_dir):
    # Blobs of a test session live in a folder of their own, never in the developer's var/.
    root = os.path.join(_test_var_dir, "blobs")
    settings.BLOB_ROOT = root
    settings.BLOB_SPOOL_DIR = os.path.join(_test_var_dir, "spool")
    blob_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": root, "allow_overwrite": True},
    }
    settings.STORAGES = {**settings.STORAGES, "default": blob_storage, "blobs": blob_storage}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs ~0.3 s per user; tests make many users and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    from artifacts.services import user_create

    def make(username: str, password: str = "pw-for-tests-1"):
        return user_create(username=username, password=password, email=f"{username}@example.com")

    return make


@pytest.fixture
def admin(make_user):
    return make_user("alice")


@pytest.fixture
def member(make_user):
    return make_user("bob")


@pytest.fixture
def viewer(make_user):
    return make_user("carol")


@pytest.fixture
def outsider(make_user):
    return make_user("mallory")


@pytest.fixture
def team(admin, member, viewer):
    from artifacts.models import Membership
    from artifacts.services import membership_set, team_create

    team = team_create(name="acme", admin=admin)
    membership_set(team=team, user=member, role=Membership.MEMBER, actor=admin)
    membership_set(team=team, user=viewer, role=Membership.VIEWER, actor=admin)
    return team


@pytest.fixture
def project(team, admin):
    from artifacts.services import project_ensure

    return project_ensure(entity=team, name="nature", user=admin)


@pytest.fixture
def put_blob(db, member):
    """Upload bytes as a blob (by the member, unless told) and return its manifest entry dict."""
    from artifacts.blobstore import blob_put

    def put(data: bytes, path: str = "model.onnx", user=None) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        blob_put(stream=io.BytesIO(data), digest=digest, user=user or member)
        return {"path": path, "digest": digest, "size": len(data)}

    return put


@pytest.fixture
def log_model(project, member, put_blob):
    """Log a `model` artifact version with one file of the given content."""
    from artifacts.services import artifact_version_log

    def log(content: bytes, name: str = "nature-ckpt", aliases=None, metadata=None, type: str = "model", user=None):
        version, _ = artifact_version_log(
            project=project,
            name=name,
            type=type,
            entries=[put_blob(content, user=user or member)],
            metadata=metadata,
            aliases=aliases,
            user=user or member,
        )
        return version

    return log


@pytest.fixture
def log_with_run(project, member, put_blob):
    """Log a `model` version made by a new run, with nested metadata and an alias; returns (version, run)."""
    from artifacts.services import artifact_version_log, run_create

    def log(content: bytes = b"made by a run", alias: str = "best"):
        run = run_create(project=project, user=member, name="r1")
        version, _ = artifact_version_log(
            project=project,
            name="nature-ckpt",
            type="model",
            entries=[put_blob(content)],
            metadata={"acc": 0.912, "nested": {"layers": [1, "two"]}, "note": "ünïcode"},
            run=run,
            aliases=[alias],
            user=member,
        )
        return version, run

    return log


# --- real parts: a webhook receiver and a Celery worker (classes in tests/support.py) ----------


@pytest.fixture
def receiver():
    server = support.Receiver()
    yield server
    server.close()


@pytest.fixture
def webhook_settings(settings):
    """The test process sees the same webhook settings as the worker it starts."""
    settings.WEBHOOK_ALLOW_PRIVATE = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT = 2.0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOK_RETRY_MAX_SECONDS = 1.0
    settings.DELIVERY_LEASE_MARGIN_SECONDS = 1.0
    return settings


@pytest.fixture
def worker(transactional_db, webhook_settings, tmp_path):
    import redis
    from django.db import connection

    broker_url = support.broker_url()
    # Our own Redis db only: leftovers of earlier tests must not reach this worker.
    redis.Redis.from_url(broker_url).flushdb()
    name = connection.settings_dict["NAME"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    worker = support.Worker(f"{base}/{name}", broker_url, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()
