"""Databases, the gunicorn server, MLflow's server and the Celery worker: started here, always stopped here."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench.config import PG, REDIS_URL, REGISTRY_DB, ROOT, THREADS, VAR, WORKER_CLASS, WORKERS


def db_url(name: str) -> str:
    return f"{PG}/{name}"


def db_recreate(name: str) -> None:
    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def db_vacuum(name: str) -> None:
    """VACUUM ANALYZE a freshly filled database, so autovacuum does not wake up on it mid-measurement."""
    with psycopg.connect(db_url(name), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def db_exists(name: str) -> bool:
    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 120, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before listening; see {log_path}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def registry_env() -> dict[str, str]:
    """The environment of every registry process of the bench: its own database, blob dir and Redis db."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url(REGISTRY_DB),
        CELERY_BROKER_URL=REDIS_URL,
        BLOB_ROOT=str(VAR / "blobs"),
        BLOB_SPOOL_DIR=str(VAR / "spool"),
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-not-used-elsewhere",
        LOG_LEVEL="WARNING",
        # The alert receiver listens on 127.0.0.1; the webhook guard refuses private hosts unless listed.
        WEBHOOK_ALLOW_PRIVATE="127.0.0.1",
        DJANGO_SETTINGS_MODULE="registry_site.settings",
    )
    return env


class Server:
    """A child process group with a log file; stop() ends the whole group, then waits."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.log_path = VAR / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 120) -> "Server":
        """Until it listens; a server that never does (or an interrupt meanwhile) is stopped, not left behind."""
        try:
            wait_port(self.port, self.proc, timeout, self.log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def gunicorn(workers: int = WORKERS, threads: int = THREADS) -> Server:
    port = free_port()
    gunicorn_bin = Path(sys.executable).parent / "gunicorn"
    args = [
        str(gunicorn_bin),
        "registry_site.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "300",
        "--preload",
        "--worker-class",
        WORKER_CLASS,
    ]
    if os.environ.get("BENCH_ACCESS_LOG"):  # off by default: even to /dev/null each line is formatted
        args += ["--access-logfile", "-"]
    return Server("gunicorn", args, registry_env(), port).wait()


def celery_worker() -> Server:
    celery_bin = Path(sys.executable).parent / "celery"
    args = [str(celery_bin), "-A", "registry_site", "worker", "--concurrency", "2", "--loglevel", "WARNING"]
    server = Server("celery", args, registry_env(), 0)
    return server
