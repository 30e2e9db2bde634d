"""How each kind of integration turns a delivery's payload into a request: Slack Block Kit or generic JSON."""

import email.utils
import hashlib
import hmac
import json
import time

from notifications.http import HttpResponse, TransportError, post_json
from notifications.models import Delivery, Integration

SIGNATURE_HEADER = "X-Registry-Signature"
EVENT_ID_HEADER = "X-Registry-Event-Id"
# Slack's answers that mean the webhook itself is gone: retrying cannot help, the integration is disabled.
SLACK_PERMANENT_WORDS = ("invalid_token", "no_service", "channel_not_found", "channel_is_archived", "no_team")


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _check_response(response: HttpResponse) -> HttpResponse:
    """2xx passes; 429 and 5xx are worth retrying; any other status is final."""
    status = response.status
    if 200 <= status < 300:
        return response
    snippet = " ".join(response.text.split())[:200]
    detail = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status == 429:
        raise TransportError(detail, status=status, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        raise TransportError(detail, status=status)
    raise TransportError(detail, status=status, permanent=True)


class Transport:
    def __init__(self, integration: Integration):
        self.integration = integration

    def body(self, delivery: Delivery) -> dict:
        raise NotImplementedError

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        return {}

    def notify(self, delivery: Delivery) -> HttpResponse:
        body = json.dumps(self.body(delivery), separators=(",", ":"), sort_keys=True).encode()
        return _check_response(post_json(self.integration.url, body, headers=self.headers(delivery, body)))


class WebhookTransport(Transport):
    """The documented JSON body (docs/notifications.md), signed when the integration has a secret."""

    def body(self, delivery: Delivery) -> dict:
        return {"id": str(delivery.uid), **delivery.payload}

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        headers = {EVENT_ID_HEADER: str(delivery.uid)}
        if self.integration.signing_secret:
            digest = hmac.new(self.integration.signing_secret.encode(), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        return headers


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackTransport(Transport):
    def body(self, delivery: Delivery) -> dict:
        return slack_message(delivery.payload)

    def notify(self, delivery: Delivery) -> HttpResponse:
        try:
            return super().notify(delivery)
        except TransportError as exc:
            if any(word in exc.message for word in SLACK_PERMANENT_WORDS) or exc.status in (403, 404, 410):
                exc.permanent = True
            raise


def slack_message(payload: dict) -> dict:
    """A Block Kit message: what happened as a header line, the facts as fields, a button to the model page."""
    model = payload.get("registered_model", {})
    version = payload.get("version") or {}
    name = _mrkdwn_escape(model.get("name", ""))
    url = model.get("url", "")
    actor = _mrkdwn_escape(payload.get("actor") or "someone")
    kind = payload.get("event")
    if kind == "version.linked":
        title = f"New version {version.get('name', '')} of {name}"
        line = f"*{actor}* linked <{url}|{name}> *{version.get('name', '')}*"
    elif kind == "alias.moved":
        alias = _mrkdwn_escape(payload.get("alias", ""))
        previous = (payload.get("from_version") or {}).get("name")
        moved = f" (from {previous})" if previous else ""
        title = f"{name}: {alias} → {version.get('name', '')}"
        line = f"*{actor}* moved alias `{alias}` of <{url}|{name}> to *{version.get('name', '')}*{moved}"
    elif kind == "alias.removed":
        alias = _mrkdwn_escape(payload.get("alias", ""))
        title = f"{name}: alias {alias} removed"
        line = f"*{actor}* removed alias `{alias}` of <{url}|{name}>"
    else:
        title = payload.get("title") or f"{name}: {kind}"
        line = _mrkdwn_escape(payload.get("text") or title)
    aliases = ", ".join(f"`{_mrkdwn_escape(a)}`" for a in version.get("aliases", [])) or "none"
    fields = [
        {"type": "mrkdwn", "text": f"*Registered model*\n{name}"},
        {"type": "mrkdwn", "text": f"*Version*\n{version.get('name', '—')}"},
        {"type": "mrkdwn", "text": f"*Aliases*\n{aliases}"},
        {"type": "mrkdwn", "text": f"*Source artifact*\n`{_mrkdwn_escape(version.get('source', '—'))}`"},
        {"type": "mrkdwn", "text": f"*By*\n{actor}"},
    ]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": line}},
        {"type": "section", "fields": fields},
    ]
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open registered model"}, "url": url}
                ],
            }
        )
    # `text` is what notifications and screen readers show; Slack asks for it beside blocks.
    return {"text": title, "blocks": blocks}


TRANSPORTS: dict[str, type[Transport]] = {Integration.SLACK: SlackTransport, Integration.WEBHOOK: WebhookTransport}


def transport_for(integration: Integration) -> Transport:
    return TRANSPORTS[integration.kind](integration)
