"""The real client against pytest-django's live server (real HTTP, PostgreSQL): keys, environment, folders."""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests


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


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]):
    """Run `handler` on a free port of 127.0.0.1 until the test ends; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else None


def relay(handler: BaseHTTPRequestHandler, upstream: str, body: bytes | None) -> requests.Response:
    """Send the request a test server received on to `upstream`: same method, path, headers and body."""
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
    with requests.Session() as session:
        session.trust_env = False
        return session.request(handler.command, upstream + handler.path, data=body, headers=headers)


@dataclass
class Breaker:
    url: str = ""
    breaks: int = 0  # how many downloads of a file to break off, before answering whole
    framing: str = "content-length"  # how a broken answer announces its body: "content-length" or "chunked"
    downloads: list[str] = field(default_factory=list)  # each file download asked for, by path


@pytest.fixture
def breaking_registry(live_server):
    """A real HTTP server in front of the live server that sends only the first half of a file download and
    hangs up, `breaks` times: with the whole Content-Length announced, or as chunks without the last one."""
    state = Breaker()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _forward(self):
            upstream = relay(self, live_server.url, read_body(self))
            content = upstream.content
            broken = False
            if "/files/" in self.path:
                state.downloads.append(self.path)
                broken = len(state.downloads) <= state.breaks
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/octet-stream"))
            half = content[: len(content) // 2]
            if broken and state.framing == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
            else:
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(half if broken else content)

        do_GET = do_POST = do_PUT = _forward

    with serve(Handler) as url:
        state.url = url
        yield state


@pytest.fixture
def refusing_proxy():
    """A real HTTP proxy that answers every request, and every CONNECT, with 407; yields its URL and the
    Proxy-Authorization of each request it was sent."""
    credentials: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            credentials.append(self.headers.get("Proxy-Authorization"))
            self.send_response(407, "Proxy Authentication Required")
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_CONNECT = do_GET

    with serve(Handler) as url:
        yield url, credentials
