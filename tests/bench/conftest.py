"""Fixtures of the bench's tests: the scale fixture at a tiny scale, and a Bearer client of its user."""

import pytest

from bench.config import Scale

TINY = Scale(
    name="tiny",
    projects=2,
    collections_per_project=3,
    versions_per_collection=6,
    files_per_version=3,
    registered_models=5,
    links=14,
    big_model_links=6,
    big_version_files=40,
    blob_pool=25,
    ops=1,
    page_samples=1,
    alert_samples=1,
    transfer_mib=1,
    mlflow_seconds=0.5,
    mlflow_ops=1,
)


@pytest.fixture
def tiny_registry(db):
    """The bench's scale fixture, written with COPY into the test database (PostgreSQL only)."""
    from bench import fixture

    return fixture.build(TINY, log=lambda message: None)


@pytest.fixture
def bench_api(client, tiny_registry):
    def get(path: str, **params):
        return client.get("/api/v1" + path, params, HTTP_AUTHORIZATION=f"Bearer {tiny_registry['api_key']}")

    return get
