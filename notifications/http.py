"""All outbound HTTP of the registry: one function with a timeout and a private-address guard."""

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings

from artifacts.errors import InvalidInput


class TransportError(Exception):
    """A send failed. `permanent`: retrying cannot help (4xx, a refused URL); `retry_after`: seconds asked for."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""


def _allowed_private(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.WEBHOOK_ALLOW_PRIVATE}


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def check_webhook_url(url: str) -> str:
    """Refuse what may not be called: not https, no host, or a host resolving to a private address.

    Every address the name resolves to is checked, so a name with one public and one private
    address is refused too. Hosts listed in WEBHOOK_ALLOW_PRIVATE are exempt (development).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("Enter the webhook URL.", field="url")
    url = url.strip()
    if len(url) > 2000:
        raise InvalidInput("The webhook URL is longer than 2000 characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"The webhook URL is not valid: {exc}.", field="url") from exc
    host = parts.hostname or ""
    if not host:
        raise InvalidInput("The webhook URL has no host.", field="url")
    if parts.username or parts.password:
        raise InvalidInput("The webhook URL may not contain a user name or password.", field="url")
    if parts.scheme not in ("https", "http"):
        raise InvalidInput("The webhook URL must start with https://.", field="url")
    if _allowed_private(host):
        return url
    _check_public_host(host, port)
    if parts.scheme != "https":
        raise InvalidInput("The webhook URL must start with https://.", field="url")
    return url


def _check_public_host(host: str, port: int | None) -> None:
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"The host {host!r} of the webhook URL does not resolve.", field="url") from exc
    for info in infos:
        address = info[4][0]
        if not _is_public(address):
            raise InvalidInput(
                f"The host {host!r} resolves to {address}, a private, loopback or link-local address: "
                "webhooks may only call public addresses.",
                field="url",
            )


def post_json(url: str, body: bytes, *, headers: dict[str, str] | None = None) -> HttpResponse:
    """POST a JSON body. Raises TransportError for a refused URL, a timeout or a connection error.

    Redirects are never followed: a public URL could otherwise bounce the request to a private one.
    Retries are not made here: the delivery state machine schedules them, so a worker can die between them.
    """
    try:
        check_webhook_url(url)
    except InvalidInput as exc:
        raise TransportError(exc.message, permanent=True) from exc
    all_headers = {"Content-Type": "application/json", "User-Agent": "model-registry-webhooks/1"}
    all_headers.update(headers or {})
    try:
        response = requests.post(
            url, data=body, headers=all_headers, timeout=settings.WEBHOOK_TIMEOUT, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise TransportError(f"No answer within {settings.WEBHOOK_TIMEOUT:g} s.") from exc
    except requests.RequestException as exc:
        raise TransportError(f"Could not connect: {type(exc).__name__}.") from exc
    # Only the start of the body is kept: enough for Slack's error words, never a large page in memory.
    return HttpResponse(status=response.status_code, headers=dict(response.headers), text=response.text[:2000])
