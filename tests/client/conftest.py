"""The real client against pytest-django's live server (real HTTP, PostgreSQL): keys, environment, folders."""

import pytest


@pytest.fixture
def client_env(monkeypatch, tmp_path, live_server):
    """Point the client at the live server with its config and cache in this test's own folders."""
    monkeypatch.setenv("REGISTRY_BASE_URL", live_server.url)
    monkeypatch.setenv("REGISTRY_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("REGISTRY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REGISTRY_MODE", raising=False)
    monkeypatch.chdir(tmp_path)

    def use_key_of(user) -> str:
        from artifacts.services import api_key_create

        raw = api_key_create(user=user, name="client tests")[1]
        monkeypatch.setenv("REGISTRY_API_KEY", raw)
        return raw

    return use_key_of


@pytest.fixture
def write(tmp_path):
    def make(relative: str, data: bytes) -> str:
        path = tmp_path / "work" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)

    return make
