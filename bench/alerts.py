"""Section 5: from a link's HTTP response to its webhook's arrival at a local receiver, via Celery on Redis."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.client import Client
from bench.config import TEAM, USER
from bench.measure import Stats


def available() -> bool:
    try:
        from notifications.services import integration_create  # noqa: F401
    except ImportError:
        return False
    return True


class Receiver:
    """A local HTTP server that notes when each webhook arrives."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict]] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.perf_counter()
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {}
                receiver.arrivals.append((arrived, payload))
                receiver.event.set()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(base_url: str, api_key: str, refs, samples: int, log=print) -> Stats:
    from django.contrib.auth import get_user_model

    from artifacts.models import Entity
    from notifications.models import Integration
    from notifications.services import integration_create
    from registry.models import RegistryEvent

    user = get_user_model().objects.get(username=USER)
    team = Entity.objects.get(name=TEAM)
    client = Client(base_url, api_key)
    to_link = refs.take_versions(samples + 1)
    latencies: list[float] = []
    with Receiver() as receiver:
        integration = integration_create(
            entity=team,
            user=user,
            name="bench receiver",
            kind=Integration.WEBHOOK,
            url=receiver.url,
            events=[RegistryEvent.VERSION_LINKED],
        )
        try:
            for i, ref in enumerate(to_link):
                receiver.event.clear()
                seen = len(receiver.arrivals)
                client.link(entity=TEAM, model="bench-alerts", artifact=ref)
                answered = time.perf_counter()
                deadline = answered + 30
                while len(receiver.arrivals) == seen and time.perf_counter() < deadline:
                    receiver.event.wait(0.5)
                if len(receiver.arrivals) == seen:
                    log("    a webhook did not arrive within 30 s")
                    continue
                if i > 0:  # the first warms the worker's connections
                    latencies.append(receiver.arrivals[seen][0] - answered)
        finally:
            Integration.objects.filter(pk=integration.pk).update(enabled=False)
    stats = Stats.of(latencies, sum(latencies) or 1)
    log(f"    link → webhook: p50 {stats.p50_ms:.0f} ms, p95 {stats.p95_ms:.0f} ms over {stats.n}")
    return stats
