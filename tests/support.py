"""Real parts for tests: a local HTTP receiver that records what it is sent, a real Celery worker, polling."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER_SETTINGS = {
    "WEBHOOK_ALLOW_PRIVATE": "127.0.0.1",
    "WEBHOOK_TIMEOUT": "2",
    "WEBHOOK_MAX_ATTEMPTS": "3",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
    "DELIVERY_LEASE_MARGIN_SECONDS": "1",
}


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `condition()` is truthy; fail the test (not hang) when it never becomes so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Timed out waiting for {message}.")


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from a script of statuses.

    `script` is a list of answers used in order (then 200 for ever): an int status, or "stall" to
    hold the request until `release` is set (and never answer it if the caller hangs up), or
    ("trickle", status, seconds) to answer the status at once and then send its body one byte at a
    time for that long, or ("large", status, megabytes) to answer with a body that large.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    answer = receiver.script.pop(0) if receiver.script else 200
                    record = {"path": self.path, "headers": dict(self.headers), "body": body, "status": None}
                    receiver.requests.append(record)
                if answer == "stall":
                    receiver.release.wait(60)
                    answer = 200
                if isinstance(answer, tuple) and answer[0] in ("trickle", "large"):
                    self._send_body(record, *answer)
                    return
                headers = {}
                if isinstance(answer, tuple):
                    answer, headers = answer
                record["status"] = answer
                try:
                    self.send_response(answer)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    record["status"] = "hung up"

            def _send_body(self, record, how, status, amount):
                record["status"] = status
                size = int(amount * 4) if how == "trickle" else int(amount * 1024 * 1024)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    if how == "large":
                        chunk = b"x" * 65536
                        for _ in range(size // len(chunk)):
                            self.wfile.write(chunk)
                        return
                    for _ in range(size):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.25)
                except OSError:
                    record["status"] = "hung up"

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def answered(self, status: int = 200) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if r["status"] == status]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.fail("The worker tests need CELERY_BROKER_URL=redis://…/<your db> (see docs/notifications.md).")
    return url


class Worker:
    """`celery -A registry_site worker` in a subprocess, on the test database and the test's Redis db."""

    def __init__(self, database_url: str, broker_url: str, log_path: Path):
        self.env = {
            **os.environ,
            **WORKER_SETTINGS,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CONN_MAX_AGE": "0",
        }
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self):
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the subprocess, closed with it
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "registry_site",
                "worker",
                "--pool=solo",
                "-Q",
                "default",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(lambda: b" ready." in self.log_path.read_bytes()[offset:], timeout=60, message="the worker to start")

    def kill(self):
        """kill -9: no clean shutdown, no acknowledgement of the task it holds."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def run_web_process(code: str, *, broker_url: str) -> subprocess.CompletedProcess:
    """Run Python in a separate Django process on the test database (a web node with its own broker)."""
    from django.db import connection

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {
        **os.environ,
        **WORKER_SETTINGS,
        "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": broker_url,
    }
    script = "import django; django.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
