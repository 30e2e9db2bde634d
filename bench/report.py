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
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def header(scale: Scale, mlflow_version: str, counts: dict[str, int]) -> list[str]:
    import os

    lines = [
        "# Benchmark results",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; commit {_git_commit()}",
        f"- Machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB memory, {_cpu_model()}",
        f"- Versions: Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {_postgres_version()}, MLflow {mlflow_version}",
        f"- Settings: scale `{scale.name}`; gunicorn {WORKERS} {WORKER_CLASS} workers of {THREADS} thread(s), "
        f"`--preload`; MLflow server {WORKERS} workers; "
        f"{CLIENTS} concurrent clients; both servers on PostgreSQL on 127.0.0.1",
        "- Fixture: " + ", ".join(f"{n:,} {label}" for label, n in counts.items()),
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
