"""The results as markdown: the machine, versions and settings on top, then one table per section."""

import math
import platform
import subprocess
from datetime import UTC, datetime

import django
import psycopg

from bench.config import CLIENTS, PG, THREADS, WORKER_CLASS, WORKERS, Scale
from bench.measure import Stats


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _postgres_version() -> str:
    with psycopg.connect(f"{PG}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def _git_commit() -> str:
    """The commit measured, and whether the tree had changes on top of it (then it is not that commit)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        changes = subprocess.run(status, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return commit.strip() + (" with uncommitted changes" if changes.stdout.strip() else "")


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def header(scale: Scale, mlflow_version: str | None, counts: dict[str, int]) -> list[str]:
    import os

    lines = [
        "# Benchmark results",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; commit {_git_commit()}",
        f"- Machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB memory, {_cpu_model()}",
        f"- Versions: Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {_postgres_version()}, gunicorn {_version('gunicorn')}, Celery {_version('celery')}, "
        f"MLflow {mlflow_version or 'not run'}",
        f"- Settings: scale `{scale.name}`; gunicorn {WORKERS} {WORKER_CLASS} workers of {THREADS} thread(s), "
        "`--preload`"
        + (f"; MLflow server {WORKERS} workers" if mlflow_version else "")
        + f"; {CLIENTS} concurrent clients; on PostgreSQL on 127.0.0.1",
        "- Fixture, as built: " + ", ".join(f"{n:,} {label}" for label, n in counts.items()),
        "",
    ]
    return lines


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def stats_table(title: str, rows: list[tuple[str, Stats]], note: str = "") -> list[str]:
    lines = [f"## {title}", ""]
    if note:
        lines += [note, ""]
    lines += ["| operation | n | p50 ms | p95 ms | ops/s | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, s in rows:
        lines.append(f"| {label} | {s.n} | {fmt(s.p50_ms)} | {fmt(s.p95_ms)} | {fmt(s.ops_s)} | {s.errors} |")
    return lines + [""]


def table(title: str, head: list[str], rows: list[list[str]], note: str = "") -> list[str]:
    lines = [f"## {title}", ""]
    if note:
        lines += [note, ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]
