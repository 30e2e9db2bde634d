"""All outbound HTTP of the registry: one function with a timeout and a private-address guard."""

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings

from artifacts.errors import InvalidInput

ERROR_BODY_BYTES = 2000


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
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidInput("The webhook URL may not contain spaces or control characters.", field="url")
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

    WEBHOOK_TIMEOUT bounds the whole exchange, not each socket read: a receiver that trickles its
    answer cannot hold a worker (or a web thread, for the test button) past it, so a send always ends
    before its delivery's lease does and the sweep never sends a message a live worker is sending.
    Redirects are never followed: a public URL could otherwise bounce the request to a private one.
    Retries are not made here: the delivery state machine schedules them, so a worker can die between them.
    """
    try:
        check_webhook_url(url)
    except InvalidInput as exc:
        raise TransportError(exc.message, permanent=True) from exc
    all_headers = {"Content-Type": "application/json", "User-Agent": "model-registry-webhooks/1"}
    all_headers.update(headers or {})
    timeout = settings.WEBHOOK_TIMEOUT
    outcome: list = []
    # A daemon thread per send: abandoned (not waited for) when the deadline passes; it can record nothing.
    thread = threading.Thread(target=_exchange, args=(url, body, all_headers, timeout, outcome), daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TransportError(f"No answer within {timeout:g} s.")
    if isinstance(outcome[0], requests.Timeout):
        raise TransportError(f"No answer within {timeout:g} s.") from outcome[0]
    if isinstance(outcome[0], Exception):
        raise TransportError(f"Could not connect: {type(outcome[0]).__name__}.") from outcome[0]
    return outcome[0]


def _exchange(url: str, body: bytes, headers: dict[str, str], timeout: float, outcome: list) -> None:
    try:
        with requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            text = ""
            if not 200 <= response.status_code < 300:
                # Only the start of an error body is read: enough for Slack's error words, never a large page.
                text = response.raw.read(ERROR_BODY_BYTES, decode_content=True).decode("utf-8", errors="replace")
            outcome.append(HttpResponse(status=response.status_code, headers=dict(response.headers), text=text))
    except Exception as exc:  # noqa: BLE001 - handed to the caller, which turns it into a TransportError
        outcome.append(exc)
