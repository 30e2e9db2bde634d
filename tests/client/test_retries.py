"""Transient failures: a real HTTP server in front of the live server answers 503 once per upload, or breaks off
downloads midway; the client retries."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import registry_client as rc
from artifacts.models import ArtifactVersion
from registry_client.config import load_settings
from registry_client.transport import Transport
from tests.client.conftest import read_body, relay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flaky_proxy(live_server):
    """Forwards to the live server, except that the first PUT of each blob gets a 503."""
    seen: list[tuple[str, int]] = []
    failed_once: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _forward(self):
            body = read_body(self)  # read even when refused, so the client is not cut off mid-send
            if self.command == "PUT" and self.path not in failed_once:
                failed_once.add(self.path)
                seen.append((self.path, 503))
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            upstream = relay(self, live_server.url, body)
            seen.append((self.path, upstream.status_code))
            self.send_response(upstream.status_code)
            for key in ("Content-Type", "ETag"):
                if key in upstream.headers:
                    self.send_header(key, upstream.headers[key])
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_an_upload_answered_503_is_retried_and_the_version_is_logged(
    client_env, project, member, write, flaky_proxy, monkeypatch
):
    url, seen = flaky_proxy
    client_env(member)
    monkeypatch.setenv("REGISTRY_BASE_URL", url)
    run = rc.init(entity="acme", project="nature")
    art = rc.Artifact("ckpt", type="model")
    art.add_file(write("model.onnx", b"weights"))
    art.add_file(write("labels.txt", b"labels"))
    logged = run.log_artifact(art)
    puts = [status for path, status in seen if path.startswith("/api/v1/blobs/") and path != "/api/v1/blobs/missing"]
    assert sorted(puts) == [201, 201, 503, 503]
    assert logged.version == "v0" and ArtifactVersion.objects.get().file_count == 2


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_download_broken_off_midway_is_fetched_again_from_the_start(
    client_env, member, log_model, breaking_registry, monkeypatch, tmp_path, framing
):
    weights = os.urandom(256 * 1024)
    log_model(weights)
    client_env(member)
    monkeypatch.setenv("REGISTRY_BASE_URL", breaking_registry.url)
    breaking_registry.breaks, breaking_registry.framing = 1, framing
    rc.Api().artifact("acme/nature/nature-ckpt:v0").download(tmp_path / "out")
    assert len(breaking_registry.downloads) == 2
    assert (tmp_path / "out" / "model.onnx").read_bytes() == weights
    assert files_under(tmp_path / "out") == ["model.onnx"]
    assert [name for name in files_under(tmp_path / "cache") if ".partial-" in name] == []


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_download_that_keeps_breaking_off_is_a_network_error_and_leaves_no_partial_file(
    client_env, member, log_model, breaking_registry, monkeypatch, tmp_path, framing, cache
):
    log_model(os.urandom(256 * 1024))
    client_env(member)
    monkeypatch.setenv("REGISTRY_BASE_URL", breaking_registry.url)
    breaking_registry.breaks, breaking_registry.framing = 100, framing
    api = rc.Api(transport=Transport(load_settings(), backoff=0.01))
    version = api.artifact("acme/nature/nature-ckpt:v0")
    with pytest.raises(rc.NetworkError, match=r"broke off its answer to GET /projects/.*/model.onnx midway, 5 times"):
        version.download(tmp_path / "out", cache=cache)
    assert len(breaking_registry.downloads) == 5
    assert files_under(tmp_path / "out") == []
    assert files_under(tmp_path / "cache") == []
