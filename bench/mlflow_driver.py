"""Runs inside MLflow's own virtualenv: drives MLflow's server through MLflow's own client.

Usage: python mlflow_driver.py '{"uri": ..., "op": ..., ...}'; prints one JSON line with the result.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlflow import MlflowClient  # noqa: E402

from bench.measure import run_concurrent  # noqa: E402

FAMILIES = ["nature", "vision", "speech", "text", "tabular"]


def prepare(args: dict) -> dict:
    """An experiment, a run with a model file, and per-client registered models for the write operations."""
    client = MlflowClient(args["uri"])
    experiment_id = client.create_experiment(f"bench-{os.getpid()}")
    run = client.create_run(experiment_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "weights.bin")
        with open(path, "wb") as fh:
            fh.write(os.urandom(args["file_bytes"]))
        client.log_artifact(run.info.run_id, path, artifact_path="model")
    client.set_terminated(run.info.run_id)
    source = f"{run.info.artifact_uri}/model"
    for c in range(args["clients"]):
        client.create_registered_model(f"bench-create-{c}")
        client.create_registered_model(f"bench-alias-{c}")
        for _ in range(2):
            client.create_model_version(f"bench-alias-{c}", source=source, run_id=run.info.run_id)
    return {"run_id": run.info.run_id, "source": source}


def measure(args: dict) -> dict:
    uri, op, run_id, source = args["uri"], args["op"], args["run_id"], args["source"]
    names = args["model_names"]

    def setup(c: int) -> dict:
        return {"client": MlflowClient(uri), "c": c, "n": 0, "tmp": tempfile.mkdtemp(dir=downloads)}

    def create(state, i):
        state["client"].create_model_version(f"bench-create-{state['c']}", source=source, run_id=run_id)

    def alias(state, i):
        state["n"] += 1
        state["client"].set_registered_model_alias(f"bench-alias-{state['c']}", "staging", str(1 + state["n"] % 2))

    def get_alias(state, i):
        state["client"].get_model_version_by_alias(names[i % len(names)], "production")

    def search(state, i):
        family = FAMILIES[i % len(FAMILIES)]
        page = state["client"].search_registered_models(filter_string=f"name LIKE '%{family}%'", max_results=50)
        if page.token:
            state["client"].search_registered_models(
                filter_string=f"name LIKE '%{family}%'", max_results=50, page_token=page.token
            )

    def download(state, i):
        state["client"].download_artifacts(run_id, "model/weights.bin", state["tmp"])

    ops = {"create": create, "alias": alias, "get_alias": get_alias, "search": search, "download": download}
    with tempfile.TemporaryDirectory(prefix="mlflow-dl-") as downloads:
        if args.get("warmup"):  # not counted: the first requests pay for connections and the client's own setup
            run_concurrent(ops[op], total=args["warmup"], clients=args["clients"], setup=setup)
        stats = run_concurrent(
            ops[op], total=args["total"], seconds=args["seconds"], clients=args["clients"], setup=setup
        )
    return stats.__dict__


if __name__ == "__main__":
    arguments = json.loads(sys.argv[1])
    result = prepare(arguments) if arguments["op"] == "prepare" else measure(arguments)
    print(json.dumps(result))
