"""Transient failures: a real HTTP proxy in front of the live server answers 503 once per upload; the client retries."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

import registry_client as rc
from artifacts.models import ArtifactVersion

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
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "PUT" and self.path not in failed_once:
                failed_once.add(self.path)
                seen.append((self.path, 503))
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            upstream = requests.request(self.command, live_server.url + self.path, data=body, headers=headers)
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
