"""Runs every section in order, prints the tables and writes them to bench/results/latest.md."""

import argparse
import json
import os
import shutil
import signal
import sys
import time

import psycopg

from bench.config import FULL, PG, QUICK, REGISTRY_DB, RESULTS, VAR, WORKERS
from bench.servers import db_exists, db_recreate, db_vacuum, registry_env

SECTIONS = ["api", "bytes", "pages", "alerts", "mlflow"]


# (label, key prefix in transfer.run's result) of each transfer measured against the ceiling.
TRANSFER_ROWS = [
    ("upload through the bench's thin HTTP client (hash, ask, stream, commit)", "upload"),
    ("download through the bench's thin HTTP client (stream, verify)", "download"),
    ("upload through `registry_client` (run.log_artifact)", "rc_upload"),
    ("download through `registry_client` (Api().artifact().download(): cache, verify, copy)", "rc_download"),
]


def log(message: str) -> None:
    print(message, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a much smaller scale: a few minutes in all")
    parser.add_argument("--reuse-fixture", action="store_true", help="keep the database of the previous run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--output", default=str(RESULTS / "latest.md"))
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if not args.only:
        parser.error(f"--only names no section; choose from {', '.join(SECTIONS)}")
    # Checked now, not after a run of many minutes whose results would then be on stdout only.
    args.output = os.path.abspath(args.output)
    if os.path.isdir(args.output):
        parser.error(f"--output {args.output} is a folder; give the path of the markdown file to write")
    try:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "a"):
            pass
    except OSError as exc:
        parser.error(f"--output {args.output} cannot be written: {exc.strerror}")
    return args


def setup_django() -> None:
    os.environ.update(registry_env())
    import django
    from django.core.management import call_command

    django.setup()
    # The servers serve static files as in production (and whitenoise warns at every start without them).
    call_command("collectstatic", interactive=False, verbosity=0)


def links_needed(scale) -> int:
    """Artifact versions a run may link, each once: the API section's links and the side-by-side creates."""
    from bench import mlflow_side

    return scale.ops + mlflow_side.WARMUP + mlflow_side.ROUNDS * scale.mlflow_ops


def fixture(scale, reuse: bool) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from bench import fixture as fx

    saved = VAR / f"fixture-{scale.name}.json"
    if reuse and saved.exists() and db_exists(REGISTRY_DB):
        # The database, not the saved file, says how far earlier runs got: a re-link is the cheaper "exists" path.
        info = json.loads(saved.read_text())
        if not fx.holds(info):
            log(f"  {REGISTRY_DB} does not hold the {scale.name} fixture of the previous run (another scale since?)")
        elif (first := fx.first_unlinked(info)) + links_needed(scale) > scale.versions:
            log("  the previous runs linked nearly every artifact version of the fixture: building it again")
        else:
            log("  reusing the fixture of the previous run")
            return {**info, "next_free_version": first}
    log(f"  building the {scale.name} fixture in {REGISTRY_DB}")
    connection.close()  # the checks above used it; dropping the database ends it from the server's side
    db_recreate(REGISTRY_DB)
    shutil.rmtree(VAR / "blobs", ignore_errors=True)  # a new database: no row points at the old blobs
    call_command("migrate", verbosity=0)
    info = fx.build(scale, log=log)
    db_vacuum(REGISTRY_DB)
    log("    vacuumed and analyzed")
    VAR.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(info))
    return info


def _stopped(signum, frame) -> None:
    # As Ctrl-C does: every `with` around a server stops it (a cancelled CI job or `timeout` sends SIGTERM).
    raise SystemExit(f"bench: stopped by signal {signum}; its servers were stopped")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _stopped)
    try:
        return run(args)
    except psycopg.OperationalError as exc:
        print(f"bench: error: PostgreSQL at {PG} (BENCH_PG): {str(exc).strip()}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # a server that did not start, a driver that failed: the message says which
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    scale = QUICK if args.quick else FULL
    VAR.mkdir(parents=True, exist_ok=True)
    setup_django()
    from django.db import connection

    from bench import alerts, api_ops, mlflow_side, pages, report, servers, transfer
    from bench.report import fmt

    started = time.perf_counter()
    log(f"bench: scale {scale.name}, {WORKERS} workers")
    info = fixture(scale, args.reuse_fixture)
    connection.close()  # forked servers must not share this connection
    refs = api_ops.Refs(scale, info)
    key = info["api_key"]
    out: list[str] = []
    mlflow_version = None

    with servers.gunicorn() as server:
        log(f"  gunicorn on {server.url} (pid {server.pid})")
        if "api" in args.only:
            log("  API throughput and latency")
            rows = api_ops.run(server.url, key, scale, refs, log=log)
            out += report.stats_table(
                "API throughput and latency",
                rows,
                note=f"8 concurrent clients over HTTP against gunicorn ({WORKERS} workers); "
                f"{scale.ops} requests per operation.",
            )
        if "bytes" in args.only:
            log(f"  Bytes: {scale.transfer_mib} MiB through the client")
            t = transfer.run(server.url, key, server.pid, scale.transfer_mib, log=log)
            out += report.table(
                f"Bytes: a {t['mib']} MiB file",
                ["what", "MB/s", "vs ceiling", "server peak RSS MiB", "server peak RSS growth MiB"],
                [
                    ["`cp`", fmt(t["cp_mbs"], 0), "", "", ""],
                    ["`sha256sum`", fmt(t["sha_mbs"], 0), "", "", ""],
                    ["ceiling: `cp` + `sha256sum` in sequence", fmt(t["ceiling_mbs"], 0), "1.00", "", ""],
                    *[
                        [
                            label,
                            fmt(t[f"{key}_mbs"], 0),
                            fmt(t[f"{key}_mbs"] / t["ceiling_mbs"], 2),
                            fmt(t[f"{key}_peak_mib"], 0),
                            fmt(t[f"{key}_growth_mib"], 0),
                        ]
                        for label, key in TRANSFER_ROWS
                    ],
                ],
                note="Peak is the largest RSS of one gunicorn worker during the transfer, growth its largest rise "
                "over that worker's RSS before it; sampled from /proc every 20 ms. `sha256sum` is coreutils', "
                "slower here than the hashlib (OpenSSL) the client and server use, so the ceiling is the issue's "
                "definition rather than the machine's limit.",
            )
        if "alerts" in args.only:
            if alerts.available():
                log("  Alerts: link → webhook, Celery worker on Redis db 4")
                with servers.celery_worker():
                    time.sleep(3)
                    s = alerts.run(server.url, key, refs, scale.alert_samples, log=log)
                out += report.table(
                    "Alerts",
                    ["path", "n", "p50 ms", "p95 ms"],
                    [["link response → webhook arrival", str(s.n), fmt(s.p50_ms, 0), fmt(s.p95_ms, 0)]],
                )
            else:
                log("  Alerts: skipped, the notifications app has no integrations in this branch")
                out += ["## Alerts", "", "Not measured: the notifications app is not merged into this branch yet.", ""]
        if "mlflow" in args.only:
            log("  Side by side with MLflow")
            mlflow_version = mlflow_side.ensure_venv(log=log)
            with mlflow_side.start_server() as mlflow_server:
                mlflow_side.fill(scale, log=log)
                rows = mlflow_side.run(server.url, key, scale, refs, mlflow_server.url, log=log)
            out += report.table(
                "Side by side with MLflow",
                [
                    "operation",
                    "ours n",
                    "ours p50 ms",
                    "ours p95 ms",
                    "ours ops/s",
                    "MLflow n",
                    "MLflow p50 ms",
                    "MLflow p95 ms",
                    "MLflow ops/s",
                    "ratio (ours / MLflow)",
                    "errors (ours / MLflow)",
                    "each round, ops/s (ours / MLflow)",
                ],
                [
                    [
                        label,
                        str(a.n),
                        fmt(a.p50_ms),
                        fmt(a.p95_ms),
                        fmt(a.ops_s),
                        str(b.n),
                        fmt(b.p50_ms),
                        fmt(b.p95_ms),
                        fmt(b.ops_s),
                        f"×{fmt(a.ops_s / b.ops_s if b.ops_s else float('nan'), 2)}",
                        f"{a.errors} / {b.errors}",
                        rounds,
                    ]
                    for label, a, b, rounds in rows
                ],
                note=f"Each through its own client against its own server ({WORKERS} workers each, PostgreSQL), "
                f"8 concurrent clients; rounds of {fmt(scale.mlflow_seconds, 1)} s (at most {scale.mlflow_ops} "
                "operations), "
                f"alternating ours then MLflow's, {mlflow_side.ROUNDS} of each after {mlflow_side.WARMUP} uncounted "
                "warm-up operations; each side's median round is shown (by throughput, with that round's latencies). "
                "Each round starts on a quiet machine, its clock once every client is set up.",
            )
    if "pages" in args.only:
        log("  Pages (server time in-process, queries per request)")
        rows = pages.run(scale.page_samples, log=log)
        out += report.table(
            "Pages",
            ["page", "p50 ms", "p95 ms", "SQL queries", "status"],
            [[label, fmt(s.p50_ms), fmt(s.p95_ms), str(q), str(status)] for label, s, q, status in rows],
            note="Rendered by Django's test client in the bench process against the fixture database, "
            "signed in as a team admin; time is the whole request through the middleware.",
        )
    text = "\n".join(report.header(scale, mlflow_version, info["counts"]) + out)
    text += f"\nTotal bench time: {time.perf_counter() - started:.0f}s.\n"
    print("\n" + text)
    with open(args.output, "w") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
