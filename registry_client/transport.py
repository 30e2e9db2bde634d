"""HTTP to the registry: one session, Bearer key, bounded retries on transient failures, JSON errors."""

import os
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from registry_client.config import Settings, load_settings
from registry_client.errors import InvalidInput, NetworkError, RegistryError, error_for_status

RETRY_STATUSES = (429, 502, 503, 504)
TIMEOUT = (10, 300)  # connect, read


def q(segment: str) -> str:
    """One URL path segment (registered model names have spaces)."""
    return quote(segment, safe="")


class Transport:
    def __init__(self, settings: Settings | None = None, *, retries: int = 4, backoff: float = 0.5):
        self.settings = settings or load_settings()
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Authorization"] = f"Bearer {self.settings.api_key}"
        self.session.headers["User-Agent"] = "registry-client/0.1"
        # The environment's proxy (HTTPS_PROXY, NO_PROXY, ...) and CA bundle are read once, for the registry's
        # address, rather than by requests on every call (it walks the whole environment twice a request);
        # and ~/.netrc is not consulted, so a password there can never replace the API key.
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.settings.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle

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
    ) -> requests.Response:
        """Send, retrying connection errors and 429/502/503/504. Every call of the API is idempotent, so a retry
        of a request the server may have seen is safe. `data_factory` makes a fresh body for each attempt."""
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))
            try:
                response = self.session.request(
                    method,
                    self.url(path),
                    json=json,
                    params=params,
                    data=data_factory() if data_factory else None,
                    headers=headers,
                    stream=stream,
                    timeout=TIMEOUT,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = exc
                continue
            except requests.RequestException as exc:  # a malformed address: retrying cannot help
                raise InvalidInput(
                    f"Cannot send {method} {path} to {self.settings.base_url!r}: {exc}. "
                    "Check REGISTRY_BASE_URL (it starts with http:// or https://)."
                ) from exc
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                response.close()
                continue
            if response.status_code >= 400:
                raise self._error(response)
            return response
        raise NetworkError(
            f"Cannot reach the registry at {self.settings.base_url} ({method} {path}) after "
            f"{self.retries + 1} attempts: {last_error}. Nothing logged before this call was lost."
        )

    def json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @staticmethod
    def _error(response: requests.Response) -> RegistryError:
        try:
            message = response.json()["detail"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}: {response.text[:200]}"
        return error_for_status(response.status_code, str(message))
