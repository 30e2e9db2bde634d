"""The client's HTTP environment: a proxy from HTTP(S)_PROXY unless NO_PROXY names the host; ~/.netrc ignored."""

import base64
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

import registry_client as rc
from registry_client.transport import _bypasses_proxy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_proxy_settings_of_this_machine(monkeypatch):
    # Each test names the proxy settings it means; the machine's own must not decide where requests go.
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


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


@pytest.mark.parametrize("address", ["{host}", "alice:s3cr%25t@{host}"])
def test_a_proxy_address_without_a_scheme_is_an_http_proxy(client_env, member, monkeypatch, forward_proxy, address):
    proxy, seen, credentials = forward_proxy
    client_env(member)
    monkeypatch.setenv("HTTP_PROXY", address.format(host=urlsplit(proxy).netloc))
    assert rc.Api().viewer()["username"] == member.username
    assert [urlsplit(url).path for url in seen] == ["/api/v1/viewer"]
    assert credentials == [None if "@" not in address else "Basic " + base64.b64encode(b"alice:s3cr%t").decode()]


def test_a_socks_proxy_is_refused_naming_its_variable_but_not_its_password(client_env, member, monkeypatch):
    client_env(member)
    monkeypatch.setenv("ALL_PROXY", "socks5://alice:hunter2@127.0.0.1:1080")
    with pytest.raises(rc.InvalidInput, match=r"^ALL_PROXY names a socks5:// proxy, .*PySocks") as error:
        rc.Api()
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    "host, no_proxy, through_the_proxy",
    [
        ("127.0.0.1", "127.0.0.0/8", False),
        ("127.0.0.1", "example.com, 10.0.0.0/8", True),
        ("127.0.0.1", "127.0.0.1", False),
        ("localhost", "localhost:{port}", False),
        ("localhost", "LocalHost:{port}", False),
        ("localhost", "localhost:1", True),
        ("localhost", "*", False),
    ],
)
def test_no_proxy_sends_requests_straight_to_an_address_it_names(
    client_env, member, monkeypatch, forward_proxy, live_server, host, no_proxy, through_the_proxy
):
    proxy, seen, credentials = forward_proxy
    client_env(member)
    port = urlsplit(live_server.url).port
    monkeypatch.setenv("REGISTRY_BASE_URL", f"http://{host}:{port}")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=port))
    assert rc.Api().viewer()["username"] == member.username
    assert len(seen) == (1 if through_the_proxy else 0)


@pytest.mark.embedded
@pytest.mark.parametrize(
    "url, no_proxy, bypassed",
    [
        ("https://registry.example.com", "example.com", True),
        ("https://registry.example.com", ".EXAMPLE.com", True),
        ("https://example.com", ".example.com", True),
        ("https://registry.example.com", "registry.example.com:443", True),
        ("https://registry.example.com", "registry.example.com:8443", False),
        ("https://notexample.com", "example.com", False),
        ("http://[::1]:8000", "::1", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://[fd00::5]", "fd00::/8", True),
        ("http://10.1.2.3", "10.0.0.0/8", True),
        ("http://10.1.2.3", "10.0.0.0/8:8000", False),
        ("http://10.1.2.3", "10.1.2.3.example.com", False),
    ],
)
def test_no_proxy_names_hosts_domains_ports_and_ip_ranges(url, no_proxy, bypassed):
    assert _bypasses_proxy(urlsplit(url), no_proxy) is bypassed


@pytest.mark.parametrize(
    "variable, base_url",
    [
        ("HTTP_PROXY", None),  # an http:// registry: the proxy answers the request itself with 407
        ("HTTPS_PROXY", "https://127.0.0.1:9"),  # an https:// registry: the proxy refuses the CONNECT tunnel
    ],
)
def test_a_proxy_refusing_the_credentials_says_so_without_the_password(
    client_env, member, monkeypatch, refusing_proxy, variable, base_url
):
    proxy, credentials = refusing_proxy
    client_env(member)
    if base_url:
        monkeypatch.setenv("REGISTRY_BASE_URL", base_url)
    monkeypatch.setenv(variable, proxy.replace("http://", "http://ci-bot:hunter2@"))
    with pytest.raises(rc.NotAuthenticated) as error:
        rc.Api().viewer()
    assert str(error.value) == (
        f"The proxy {urlsplit(proxy).netloc} refused the credentials (HTTP 407 Proxy Authentication Required): "
        f"check the user:password in {variable} (http://user:password@proxy:3128)."
    )
    assert credentials == ["Basic " + base64.b64encode(b"ci-bot:hunter2").decode()]  # asked once, not retried
