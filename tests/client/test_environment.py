"""The client's HTTP environment: a proxy from HTTP(S)_PROXY unless NO_PROXY names the host; ~/.netrc ignored."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

import registry_client as rc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def forward_proxy():
    """A real HTTP forward proxy on 127.0.0.1 that records the absolute URLs it is asked for (and, in
    `credentials`, the Proxy-Authorization each came with)."""
    seen: list[str] = []
    credentials: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            credentials.append(self.headers.get("Proxy-Authorization"))
            hop = ("host", "proxy-connection", "proxy-authorization")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
            with requests.Session() as session:
                session.trust_env = False
                upstream = session.get(self.path, headers=headers)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, credentials
    server.shutdown()


def test_requests_go_through_the_proxy_the_environment_names(client_env, member, monkeypatch, forward_proxy):
    proxy, seen, credentials = forward_proxy
    client_env(member)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert rc.Api().viewer()["username"] == member.username
    assert [urlsplit(url).path for url in seen] == ["/api/v1/viewer"]


def test_no_proxy_sends_requests_for_that_host_straight_to_it(
    client_env, member, monkeypatch, forward_proxy, live_server
):
    proxy, seen, credentials = forward_proxy
    client_env(member)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", urlsplit(live_server.url).hostname)
    assert rc.Api().viewer()["username"] == member.username
    assert seen == []


def test_a_netrc_entry_for_the_server_does_not_replace_the_api_key(
    client_env, member, monkeypatch, tmp_path, live_server
):
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(f"machine {urlsplit(live_server.url).hostname} login someone password not-an-api-key\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(netrc))
    client_env(member)
    assert rc.Api().viewer()["username"] == member.username


def test_a_proxy_address_with_a_user_and_password_sends_them_to_the_proxy(
    client_env, member, monkeypatch, forward_proxy
):
    proxy, seen, credentials = forward_proxy
    client_env(member)
    monkeypatch.setenv("HTTP_PROXY", proxy.replace("http://", "http://ci-bot:p%40ss@"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert rc.Api().viewer()["username"] == member.username
    assert credentials == ["Basic " + base64.b64encode(b"ci-bot:p@ss").decode()]


def test_a_redirect_is_not_followed_but_named(client_env, member, monkeypatch, live_server):
    """A registry behind a proxy that redirects http:// to https:// would get a write sent again as a GET."""
    sent: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            sent.append(self.command)
            self.send_response(301)
            self.send_header("Location", live_server.url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client_env(member)
        monkeypatch.setenv("REGISTRY_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(rc.InvalidInput, match="redirects POST .* to 'http://.*Set REGISTRY_BASE_URL"):
            rc.Api().create_registered_model("acme", "Redirected model")
    finally:
        server.shutdown()
    assert sent == ["POST"]
