"""Fixtures of the API tests: API keys for each role and a JSON client that sends them."""

import hashlib
import json

import pytest


@pytest.fixture
def key_for(db):
    from artifacts.services import api_key_create

    def make(user) -> str:
        return api_key_create(user=user, name="tests")[1]

    return make


class JsonClient:
    """Django's test client speaking JSON with a Bearer key (the same requests the client sends)."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def _send(self, method: str, path: str, body=None, raw: bytes | None = None, **extra):
        kwargs = {**self.headers, **extra}
        url = "/api/v1" + path
        if raw is not None:
            return getattr(self.client, method)(url, data=raw, content_type="application/octet-stream", **kwargs)
        if body is not None:
            data = body if isinstance(body, str | bytes) else json.dumps(body)
            return getattr(self.client, method)(url, data=data, content_type="application/json", **kwargs)
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path, **extra):
        return self._send("get", path, **extra)

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, **extra)

    def put(self, path, body=None, raw=None, **extra):
        return self._send("put", path, body, raw, **extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, body, **extra)

    def delete(self, path, **extra):
        return self._send("delete", path, **extra)


@pytest.fixture
def api_as(client, key_for):
    def make(user) -> JsonClient:
        return JsonClient(client, key_for(user) if user is not None else None)

    return make


@pytest.fixture
def upload():
    """Upload bytes through the API; returns the manifest entry."""

    def put(api: JsonClient, data: bytes, path: str = "model.onnx") -> dict:
        digest = hashlib.sha256(data).hexdigest()
        response = api.put(f"/blobs/{digest}", raw=data)
        assert response.status_code in (200, 201), response.content
        return {"path": path, "digest": digest, "size": len(data)}

    return put
