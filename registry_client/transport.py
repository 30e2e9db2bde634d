"""HTTP to the registry: one session, Bearer key, bounded retries on transient failures, JSON errors."""

import json as jsonlib
import os
import random
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, LocationValueError

from registry_client.config import Settings, load_settings
from registry_client.errors import InvalidInput, NetworkError, RegistryError, error_for_status

RETRY_STATUSES = (429, 502, 503, 504)
TIMEOUT = urllib3.Timeout(connect=10, read=300)
USER_AGENT = "registry-client/0.1"


def q(segment: str) -> str:
    """One URL path segment (registered model names have spaces)."""
    return quote(segment, safe="")


def _pool_manager(base_url: str) -> urllib3.PoolManager:
    """Connections to the registry, through the proxy the environment names for its address (HTTPS_PROXY,
    HTTP_PROXY, ALL_PROXY, NO_PROXY), verified against REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set.

    Read once per client: a training script's thousandth call should not walk the environment again.
    ~/.netrc is never read, so a password there cannot replace the API key.
    """
    options: dict[str, Any] = {"maxsize": 16, "block": False, "retries": False, "timeout": TIMEOUT}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        options["ca_certs"] = bundle
    address = urlsplit(base_url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(address.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass_environment(address.hostname or "", proxies):
        credentials = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if credentials.username:  # http://user:password@proxy:3128, as curl and requests take it
            auth = f"{unquote(credentials.username)}:{unquote(credentials.password or '')}"
            options["proxy_headers"] = urllib3.make_headers(proxy_basic_auth=auth)
        return urllib3.ProxyManager(proxy, num_pools=4, **options)
    return urllib3.PoolManager(num_pools=4, **options)


class Transport:
    """HTTP to the registry on urllib3: requests' session cost as much CPU per small call as urllib3's
    whole request (0.5 ms), which a script making thousands of calls pays on its own machine."""

    def __init__(self, settings: Settings | None = None, *, retries: int = 4, backoff: float = 0.5):
        self.settings = settings or load_settings()
        self.retries = retries
        self.backoff = backoff
        self.http = _pool_manager(self.settings.base_url)
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
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Send, retrying connection errors and 429/502/503/504. Every call of the API is idempotent, so a retry
        of a request the server may have seen is safe. `data_factory` makes a fresh body for each attempt (with a
        length: its Content-Length is sent). A `stream` response is read with .stream() and closed by the caller."""
        if urlsplit(self.settings.base_url).scheme not in ("http", "https"):
            raise InvalidInput(
                f"Cannot send {method} {path} to {self.settings.base_url!r}: the address has no scheme. "
                "Check REGISTRY_BASE_URL (it starts with http:// or https://)."
            )
        url = self.url(path)
        if params:
            url += "?" + urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        send_headers = {**self.headers, **(headers or {})}
        payload = None
        if json is not None:
            payload = jsonlib.dumps(json).encode()
            send_headers["Content-Type"] = "application/json"
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))
            body = payload
            if data_factory is not None:
                body = data_factory()
                send_headers["Content-Length"] = str(len(body))
            try:
                response = self.http.request(
                    method, url, body=body, headers=send_headers, preload_content=not stream, redirect=False
                )
            except LocationValueError as exc:  # a malformed address: retrying cannot help
                raise InvalidInput(
                    f"Cannot send {method} {path} to {self.settings.base_url!r}: {exc}. "
                    "Check REGISTRY_BASE_URL (it starts with http:// or https://)."
                ) from exc
            except HTTPError as exc:
                last_error = exc
                continue
            if response.status in RETRY_STATUSES and attempt < self.retries:
                response.close()
                continue
            if response.status >= 400:
                raise self._error(response)
            if response.status >= 300:  # not followed: a write sent again elsewhere is not what was asked
                response.close()
                raise InvalidInput(
                    f"The registry at {self.settings.base_url} redirects {method} {path} to "
                    f"{response.headers.get('Location')!r}. Set REGISTRY_BASE_URL to the address it redirects to."
                )
            return response
        raise NetworkError(
            f"Cannot reach the registry at {self.settings.base_url} ({method} {path}) after "
            f"{self.retries + 1} attempts: {last_error}. Nothing logged before this call was lost."
        )

    def json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status == 204 or not response.data:
            return None
        return response.json()

    @staticmethod
    def _error(response: urllib3.BaseHTTPResponse) -> RegistryError:
        text = response.data.decode("utf-8", "replace")
        try:
            message = jsonlib.loads(text)["detail"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status}: {text[:200]}"
        return error_for_status(response.status, str(message))
