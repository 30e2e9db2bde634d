"""Section 6: MLflow's registry beside ours: its own venv, its own server on PostgreSQL, its own client."""

import json
import os
import shutil
import subprocess
import threading
import time

import psycopg

import registry_client as rc
from bench.client import Client
from bench.config import CLIENTS, MLFLOW_DB, TEAM, VAR, WORKERS, Scale
from bench.fixture import FAMILIES, model_name, project_name
from bench.measure import Stats, run_concurrent, settle
from bench.servers import Server, db_recreate, db_url, db_vacuum, free_port

VENV = VAR / "mlflow-venv"
PYTHON = VENV / "bin" / "python"
MLFLOW_SPEC = "mlflow==3.*"
FILE_BYTES = 1024 * 1024
ROUNDS = 3  # an odd number: the median round is one of them
WARMUP = 40  # operations each side runs first, not counted


def ensure_venv(log=print) -> str:
    """MLflow lives in its own virtualenv, never in the app's requirements."""
    if not (VENV / "bin" / "mlflow").exists():
        log(f"    installing {MLFLOW_SPEC} into {VENV} ...")
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        pip_log = VAR / "mlflow-pip.log"
        with open(pip_log, "w") as out:
            pip = [str(VENV / "bin" / "pip"), "install", "-q", MLFLOW_SPEC, "psycopg2-binary"]
            if subprocess.run(pip, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                raise RuntimeError(f"installing {MLFLOW_SPEC} failed; see {pip_log}")
    out = subprocess.run(
        [str(PYTHON), "-c", "import mlflow; print(mlflow.__version__)"], capture_output=True, text=True
    )
    return out.stdout.strip()


def start_server() -> Server:
    db_recreate(MLFLOW_DB)
    port = free_port()
    args = [
        str(VENV / "bin" / "mlflow"),
        "server",
        "--backend-store-uri",
        db_url(MLFLOW_DB).replace("postgres://", "postgresql+psycopg2://"),
        "--artifacts-destination",
        str(VAR / "mlflow-artifacts"),
        "--serve-artifacts",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        # Ours runs without an access log (bench/servers.py); so does MLflow's uvicorn.
        "--uvicorn-opts",
        "--no-access-log",
    ]
    env = dict(os.environ, MLFLOW_LOGGING_LEVEL="WARNING")
    return Server("mlflow", args, env, port).wait(timeout=300)


def fill(scale: Scale, log=print) -> None:
    """The same registered models, tags, versions and aliases as our fixture, written straight to its tables."""
    started = time.perf_counter()
    now = int(time.time() * 1000)
    n_models = scale.registered_models
    rest = scale.links - scale.big_model_links
    counts = [scale.big_model_links] + [
        rest // (n_models - 1) + (1 if m <= rest % (n_models - 1) else 0) for m in range(1, n_models)
    ]
    source = "mlflow-artifacts:/0/bench/artifacts/model"
    with psycopg.connect(db_url(MLFLOW_DB)) as conn, conn.cursor() as cur:
        with cur.copy("COPY registered_models (name, creation_time, last_updated_time, description) FROM STDIN") as cp:
            for m in range(n_models):
                cp.write_row((model_name(m), now, now, f"Registered model {m}"))
        with cur.copy("COPY registered_model_tags (key, value, name) FROM STDIN") as cp:
            for m in range(n_models):
                cp.write_row((FAMILIES[m % len(FAMILIES)], "true", model_name(m)))
                cp.write_row(("production-ready" if m % 3 == 0 else "research", "true", model_name(m)))
        with cur.copy(
            "COPY model_versions (name, version, creation_time, last_updated_time, description, user_id, "
            "current_stage, source, run_id, status, status_message, run_link, storage_location) FROM STDIN"
        ) as cp:
            for m, count in enumerate(counts):
                for v in range(1, count + 1):
                    cp.write_row((model_name(m), v, now, now, "", "", "None", source, "", "READY", "", "", source))
        with cur.copy("COPY registered_model_aliases (alias, version, name) FROM STDIN") as cp:
            for m, count in enumerate(counts):
                if count:
                    cp.write_row(("production", 1, model_name(m)))
                    cp.write_row(("staging", max(1, count // 2), model_name(m)))
    db_vacuum(MLFLOW_DB)
    log(
        f"    MLflow filled with {n_models:,} registered models, {scale.links:,} versions "
        f"({time.perf_counter() - started:.0f}s)"
    )


def driver(uri: str, **args) -> dict:
    script = os.path.join(os.path.dirname(__file__), "mlflow_driver.py")
    payload = json.dumps({"uri": uri, "clients": CLIENTS, **args})
    out = subprocess.run([str(PYTHON), script, payload], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"the MLflow driver failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


OPS = [
    ("create", "create a version"),
    ("alias", "set an alias"),
    ("get_alias", "get a version by alias"),
    ("search", "search registered models by name, up to 2 pages of 50"),
    ("download", "download a 1 MiB model file"),
]


def median_round(rounds: list[Stats]) -> Stats:
    """The round of median throughput (of an odd number of rounds), with its own latencies."""
    return sorted(rounds, key=lambda s: s.ops_s)[len(rounds) // 2]


Row = tuple[str, Stats, Stats, str]  # operation, ours, MLflow's, every round's throughputs


def run(base_url: str, api_key: str, scale: Scale, refs, mlflow_uri: str, log=print) -> list[Row]:
    """Each operation through our client, then through MLflow's, alternating, in this one run."""
    prepared = driver(mlflow_uri, op="prepare", file_bytes=FILE_BYTES)
    model_file = str(VAR / "model-1mib.bin")
    with open(model_file, "wb") as fh:
        fh.write(os.urandom(FILE_BYTES))
    logged = Client(base_url, api_key).log_file(
        entity=TEAM, project=project_name(0), name="bench-download", path=model_file
    )
    download_ref = f"{TEAM}/{project_name(0)}/bench-download:{logged['version']}"
    total, seconds = scale.mlflow_ops, scale.mlflow_seconds
    # Every create links an artifact version not linked before; a round takes as many as it has time for.
    to_link = refs.take_versions(WARMUP + total * ROUNDS)
    unlinked = iter(to_link)
    lock = threading.Lock()
    names = [refs.model(i) for i in range(200)]

    def per_client(c: int) -> dict:
        # The shared client, as a training script or CI job would use it; one HTTP session per thread.
        return {"api": rc.Api(base_url=base_url, api_key=api_key), "c": c, "n": 0, "dest": VAR / f"dl-{c}"}

    def create(state, i):
        with lock:
            ref = next(unlinked)
        state["api"].link(ref, f"{TEAM}/model-registry/bench-create-{state['c']}")

    def alias(state, i):
        state["n"] += 1
        state["api"].set_alias(TEAM, refs.model(100 + state["c"]), "staging", f"v{state['n'] % 2}")

    def get_alias(state, i):
        state["api"].model_version(TEAM, names[i % len(names)], "production")

    def search(state, i):
        # The next page only when this one is full, as MLflow's client gets a next-page token only then.
        family = FAMILIES[i % len(FAMILIES)]
        if len(state["api"].registered_models(TEAM, query=family, limit=50)) == 50:
            state["api"].registered_models(TEAM, query=family, limit=50, offset=50)

    def download(state, i):
        # Resolve the reference, stream the file, check its sha256; no cache, as MLflow keeps none.
        state["api"].artifact(download_ref).download(root=state["dest"], cache=False)

    ours = {"create": create, "alias": alias, "get_alias": get_alias, "search": search, "download": download}
    results = []
    for op, label in OPS:
        # Both sides first run WARMUP operations that are not counted (a server's first requests pay for
        # connections, prepared plans and caches, a client's for its sessions); then ROUNDS rounds each,
        # alternating, and the median round of each side is shown: other processes on a shared machine come
        # in bursts, and one burst should not decide a row.
        run_concurrent(ours[op], total=WARMUP, clients=CLIENTS, setup=per_client)
        mine_rounds, their_rounds = [], []
        for _ in range(ROUNDS):
            settle()
            mine = run_concurrent(ours[op], total=total, seconds=seconds, clients=CLIENTS, setup=per_client)
            mine_rounds.append(mine)
            settle()
            # Each driver is a new process, so each round warms MLflow's client (and server) up again.
            their = driver(
                mlflow_uri, op=op, total=total, seconds=seconds, warmup=WARMUP, model_names=names, **prepared
            )
            their_rounds.append(Stats(**their))
        mine, theirs = median_round(mine_rounds), median_round(their_rounds)
        ratio = mine.ops_s / theirs.ops_s if theirs.ops_s else float("nan")
        rounds = ", ".join(f"{a.ops_s:.0f}/{b.ops_s:.0f}" for a, b in zip(mine_rounds, their_rounds, strict=True))
        log(
            f"    {label}: ours {mine.ops_s:.1f} ops/s, MLflow {theirs.ops_s:.1f} ops/s, ×{ratio:.2f} (rounds {rounds})"
        )
        results.append((label, mine, theirs, rounds))
    for c in range(CLIENTS):
        shutil.rmtree(VAR / f"dl-{c}", ignore_errors=True)
    return results
