"""A thin HTTP client of our JSON API for the bench (the shared `registry_client` was not ready when written).

It does what the real client does on the wire: hash, ask which blobs are missing, stream uploads,
commit a manifest, and verify downloads against their digest.
"""

import hashlib
import os
from urllib.parse import quote

import requests

CHUNK = 4 * 1024 * 1024


def file_sha256(path: str) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


class ApiError(Exception):
    pass


class Client:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def _check(self, response: requests.Response, *ok: int) -> requests.Response:
        if response.status_code not in (ok or (200, 201)):
            raise ApiError(f"{response.request.method} {response.url} -> {response.status_code}: {response.text[:200]}")
        return response

    def get(self, path: str, **params) -> dict:
        return self._check(self.session.get(self.base + path, params=params, timeout=60)).json()

    def missing(self, digests: list[str]) -> list[str]:
        r = self.session.post(self.base + "/blobs/missing", json={"digests": digests}, timeout=60)
        return self._check(r).json()["missing"]

    def upload_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._check(self.session.put(f"{self.base}/blobs/{digest}", data=data, timeout=60))
        return digest

    def upload_file(self, path: str, digest: str) -> None:
        # A file object: requests streams it with its Content-Length, never reading it whole.
        with open(path, "rb") as fh:
            headers = {"Content-Type": "application/octet-stream"}
            self._check(self.session.put(f"{self.base}/blobs/{digest}", data=fh, headers=headers, timeout=3600))

    def log_file(self, *, entity: str, project: str, name: str, path: str, type: str = "model") -> dict:
        """Hash, upload when missing, commit: what `run.log_artifact` does for one file."""
        digest = file_sha256(path)
        if self.missing([digest]):
            self.upload_file(path, digest)
        manifest = [{"path": os.path.basename(path), "digest": digest, "size": os.path.getsize(path)}]
        return self.commit(entity=entity, project=project, name=name, type=type, manifest=manifest)

    def commit(self, *, entity: str, project: str, name: str, type: str, manifest: list[dict], aliases=()) -> dict:
        body = {"name": name, "type": type, "manifest": manifest, "aliases": list(aliases)}
        r = self.session.post(f"{self.base}/projects/{entity}/{project}/artifacts", json=body, timeout=120)
        return self._check(r).json()

    def link(self, *, entity: str, model: str, artifact: str, aliases=()) -> dict:
        r = self.session.post(
            f"{self.base}/registry/{entity}/models/{quote(model)}/versions",
            json={"artifact": artifact, "aliases": list(aliases)},
            timeout=60,
        )
        return self._check(r).json()

    def alias_set(self, *, entity: str, model: str, alias: str, version: str) -> dict:
        r = self.session.put(
            f"{self.base}/registry/{entity}/models/{quote(model)}/aliases/{alias}",
            json={"version": version},
            timeout=60,
        )
        return self._check(r).json()

    def resolve(self, ref: str) -> dict:
        return self.get("/resolve", ref=ref)

    def model_version(self, *, entity: str, model: str, selector: str) -> dict:
        return self.get(f"/registry/{entity}/models/{quote(model)}/versions/{selector}")

    def versions(self, *, entity: str, project: str, name: str, limit: int = 50) -> dict:
        return self.get(f"/projects/{entity}/{project}/artifacts/{name}/versions", limit=limit)

    def models(self, *, entity: str, **params) -> list | dict:
        return self.get(f"/registry/{entity}/models", **params)

    def download(self, *, entity: str, project: str, name: str, selector: str, path: str, dest: str, digest: str):
        """Stream a file to dest, hashing as it comes; a mismatch is an error (what the real client checks)."""
        url = f"{self.base}/projects/{entity}/{project}/artifacts/{name}/versions/{selector}/files/{quote(path)}"
        hasher = hashlib.sha256()
        with self.session.get(url, stream=True, timeout=3600) as r:
            self._check(r)
            with open(dest, "wb") as out:
                for chunk in r.iter_content(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
        if hasher.hexdigest() != digest:
            raise ApiError(f"downloaded bytes hash to {hasher.hexdigest()}, expected {digest}")
