"""The two scales, the fixed settings of a run and the paths and addresses it uses."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REGISTRY_DB = "registry_bench"
MLFLOW_DB = "mlflow_bench"
# Redis db 4 is this bench's own: the other engineers' test runs use the others.
REDIS_URL = "redis://127.0.0.1:6379/4"

TEAM = "benchco"
USER = "bench"
PASSWORD = "bench-password-not-secret"


# Both servers get the same number of worker processes: the comparison is at equal workers.
def _count(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"bench: error: {name} must be a whole number of at least 1, not {value!r}")
    return int(value)


WORKERS = _count("BENCH_WORKERS", 4)
THREADS = _count("BENCH_THREADS", 1)  # gunicorn threads per worker
# gunicorn's --worker-class; with more than one thread gunicorn itself takes gthread for sync.
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS") or ("gthread" if THREADS > 1 else "sync")
CLIENTS = 8


@dataclass(frozen=True)
class Scale:
    name: str
    projects: int
    collections_per_project: int
    versions_per_collection: int
    files_per_version: int
    registered_models: int
    links: int
    big_model_links: int  # one registered model with this many versions (the page of "a model with 500")
    big_version_files: int  # one artifact version with this many files (the page of "10,000 files")
    blob_pool: int  # distinct blob rows the manifest entries point at
    ops: int  # requests per API operation (spread over CLIENTS threads)
    page_samples: int
    alert_samples: int
    transfer_mib: int
    mlflow_seconds: float  # how long each round of a side-by-side operation lasts
    mlflow_ops: int  # at most this many operations a round

    @property
    def versions(self) -> int:
        return self.projects * self.collections_per_project * self.versions_per_collection

    @property
    def entries(self) -> int:
        return self.versions * self.files_per_version + self.big_version_files


FULL = Scale(
    name="full",
    projects=100,
    collections_per_project=10,
    versions_per_collection=100,
    files_per_version=10,
    registered_models=1000,
    links=20_000,
    big_model_links=500,
    big_version_files=10_000,
    blob_pool=100_000,
    ops=400,
    page_samples=40,
    alert_samples=30,
    transfer_mib=1024,
    mlflow_seconds=4.0,
    mlflow_ops=3000,
)

QUICK = Scale(
    name="quick",
    projects=20,
    collections_per_project=5,
    versions_per_collection=50,
    files_per_version=10,
    registered_models=100,
    links=1_000,
    big_model_links=500,
    big_version_files=10_000,
    blob_pool=5_000,
    ops=80,
    page_samples=15,
    alert_samples=10,
    transfer_mib=128,
    mlflow_seconds=1.5,
    mlflow_ops=600,
)
