"""HTTP to the registry: one session, Bearer key, bounded retries on transient failures, JSON errors."""

import ipaddress
import json as jsonlib
import os
import random
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, quote, unquote, urlencode, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, ProxyError

from registry_client.config import Settings, load_settings
from registry_client.errors import InvalidInput, NetworkError, NotAuthenticated, RegistryError, error_for_status

RETRY_STATUSES = (429, 502, 503, 504)
TIMEOUT = urllib3.Timeout(connect=10, read=300)
USER_AGENT = "registry-client/0.1"


def q(segment: str) -> str:
    """One URL path segment (registered model names have spaces)."""
    return quote(segment, safe="")


def check_base_url(base_url: str, *, named: str = "REGISTRY_BASE_URL") -> None:
    """Refuse an address the client cannot use before anything is sent, naming where it came from."""
    try:
        address = urlsplit(base_url)
        address.port  # noqa: B018 (reading the port is what checks it is a number)
    except ValueError as exc:  # "Invalid IPv6 URL", a port that is not a number
        problem = str(exc)
    else:
        if address.scheme not in ("http", "https"):
            problem = "it must start with http:// or https://"
        elif not address.hostname:
            problem = "it names no host"
        else:
            return
    raise InvalidInput(
        f"Cannot use {base_url!r} as the registry's address: {problem}. "
        f"Check {named} (an address such as https://registry.example.com)."
    )


def _bypasses_proxy(address: SplitResult, no_proxy: str) -> bool:
    """Whether NO_PROXY names the registry's address, in the forms requests took: `*`, a host, a domain
    (`example.com` or `.example.com`: it and its subdomains), `host:port`, and for an IP address a CIDR range
    (`10.0.0.0/8`) or the address itself. Case does not matter."""
    host = (address.hostname or "").lower()
    port = str(address.port or (443 if address.scheme == "https" else 80))
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in no_proxy.lower().replace(" ", "").split(","):
        if entry == "*":
            return True
        name, entry_port = entry, ""
        if entry.startswith("["):  # [::1]:8000
            name, _, rest = entry[1:].partition("]")
            entry_port = rest.removeprefix(":")
        elif entry.count(":") == 1:  # localhost:8000; a bare IPv6 address has more colons
            name, entry_port = entry.split(":")
        name = name.lstrip(".")
        if not name or (entry_port and entry_port != port):
            continue
        if ip is None:
            if host == name or host.endswith("." + name):
                return True
            continue
        try:
            if ip in ipaddress.ip_network(name, strict=False):
                return True
        except ValueError:  # a host name: it cannot name an IP address
            pass
    return False


def _proxy_for(address: SplitResult) -> tuple[str, str] | None:
    """The proxy the environment names for the registry's address, as (variable, URL); None to go straight there.

    Read as urllib does (lowercase names win, an empty one unsets). An address without a scheme is an
    http:// proxy, as requests and curl take it (`127.0.0.1:3128`, `user:password@proxy:3128`).
    """
    proxies = urllib.request.getproxies_environment()
    key = address.scheme if address.scheme in proxies else "all"
    proxy = proxies.get(key)
    if not proxy or _bypasses_proxy(address, proxies.get("no", "")):
        return None
    variable = f"{key}_proxy" if os.environ.get(f"{key}_proxy") else f"{key.upper()}_PROXY"
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    scheme = urlsplit(proxy).scheme
    if scheme not in ("http", "https"):  # the value is not shown: it may hold a password
        raise InvalidInput(
            f"{variable} names a {scheme}:// proxy, which the client cannot use: it speaks to http:// and https:// "
            "proxies only (SOCKS would need PySocks, which it does not install). Set it to an HTTP proxy, or put "
            "the registry's host in NO_PROXY."
        )
    return variable, proxy


def _pool_manager(proxy: str | None) -> urllib3.PoolManager:
    """Connections to the registry, through `proxy` when given, verified against REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE when set. ~/.netrc is never read, so a password there cannot replace the API key."""
    options: dict[str, Any] = {"maxsize": 16, "block": False, "retries": False, "timeout": TIMEOUT}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        options["ca_certs"] = bundle
    if proxy is None:
        return urllib3.PoolManager(num_pools=4, **options)
    credentials = urlsplit(proxy)
    if credentials.username:  # http://user:password@proxy:3128, as curl and requests take it
        auth = f"{unquote(credentials.username)}:{unquote(credentials.password or '')}"
        options["proxy_headers"] = urllib3.make_headers(proxy_basic_auth=auth)
    return urllib3.ProxyManager(proxy, num_pools=4, **options)


def _tunnel_refused(exc: HTTPError) -> bool:
    # Through a CONNECT tunnel (an https:// registry) a proxy's 407 arrives as http.client's OSError.
    return isinstance(exc, ProxyError) and str(exc.original_error).startswith("Tunnel connection failed: 407")


class Transport:
    """HTTP to the registry on urllib3: requests' session cost as much CPU per small call as urllib3's
    whole request (0.5 ms), which a script making thousands of calls pays on its own machine.

    The address and the proxy settings (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) are read once per
    client: a training script's thousandth call should not walk the environment again.
    """

    def __init__(self, settings: Settings | None = None, *, retries: int = 4, backoff: float = 0.5):
        self.settings = settings or load_settings()
        self.retries = retries
        self.backoff = backoff
        check_base_url(self.settings.base_url)
        self.proxy_variable, proxy = _proxy_for(urlsplit(self.settings.base_url)) or (None, None)
        self.http = _pool_manager(proxy)
        self.headers = {"Authorization": f"Bearer {self.settings.api_key}", "User-Agent": USER_AGENT}

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}/api/v1{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        data_factory: Callable[[], Any] | None = None,
        headers: dict | None = None,
        read: Callable[[urllib3.BaseHTTPResponse], None] | None = None,
    ) -> urllib3.BaseHTTPResponse | None:
        """Send, retrying connection errors and 429/502/503/504. Every call of the API is idempotent, so a retry
        of a request the server may have seen is safe. `data_factory` makes a fresh body for each attempt (with a
        length: its Content-Length is sent).

        With `read`, the body is not loaded but streamed to `read(response)`, and None is returned. A body that
        breaks off midway (a dropped connection, a read timeout) is asked for again from the start, as a failed
        connection is: `read` must begin afresh each time it is called."""
        url = self.url(path)
        if params:
            url += "?" + urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        send_headers = {**self.headers, **(headers or {})}
        payload = None
        if json is not None:
            payload = jsonlib.dumps(json).encode()
            send_headers["Content-Type"] = "application/json"
        last_error: Exception | None = None
        broke_off = False
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))
            body = payload
            if data_factory is not None:
                body = data_factory()
                send_headers["Content-Length"] = str(len(body))
            response = None
            try:
                response = self.http.request(
                    method, url, body=body, headers=send_headers, preload_content=read is None, redirect=False
                )
                if response.status in RETRY_STATUSES and attempt < self.retries:
                    response.close()
                    continue
                self._check(response, method, path)
                if read is None:
                    return response
                with response:
                    read(response)
                return None
            except HTTPError as exc:
                if _tunnel_refused(exc):
                    raise self._proxy_refused() from exc
                last_error, broke_off = exc, response is not None
        tries = self.retries + 1
        if broke_off:
            problem = f"The registry at {self.base_url} broke off its answer to {method} {path} midway, {tries} times"
        else:
            problem = f"Cannot reach the registry at {self.base_url} ({method} {path}) after {tries} attempts"
        raise NetworkError(f"{problem}: {last_error}. Nothing logged before this call was lost.")

    def json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status == 204 or not response.data:
            return None
        return response.json()

    def _check(self, response: urllib3.BaseHTTPResponse, method: str, path: str) -> None:
        """Raise for an answer that is not a success: an error, a proxy's 407, a redirect."""
        if response.status == 407:
            response.close()
            raise self._proxy_refused()
        if response.status >= 400:
            raise self._error(response)
        if response.status >= 300:  # not followed: a write sent again elsewhere is not what was asked
            response.close()
            raise InvalidInput(
                f"The registry at {self.settings.base_url} redirects {method} {path} to "
                f"{response.headers.get('Location')!r}. Set REGISTRY_BASE_URL to the address it redirects to."
            )

    def _proxy_refused(self) -> NotAuthenticated:
        if self.proxy_variable is None:
            return NotAuthenticated(
                "A proxy on the way to the registry asks for credentials (HTTP 407): name it, with its "
                "user:password, in HTTPS_PROXY or HTTP_PROXY (http://user:password@proxy:3128).",
                status=407,
            )
        proxy = self.http.proxy  # its host and port only: the password stays out of the message
        return NotAuthenticated(
            f"The proxy {proxy.host}:{proxy.port} refused the credentials (HTTP 407 Proxy Authentication "
            f"Required): check the user:password in {self.proxy_variable} (http://user:password@proxy:3128).",
            status=407,
        )

    @staticmethod
    def _error(response: urllib3.BaseHTTPResponse) -> RegistryError:
        text = response.data.decode("utf-8", "replace")
        try:
            message = jsonlib.loads(text)["detail"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status}: {text[:200]}"
        return error_for_status(response.status, str(message))
