"""Section 2: API throughput and latency of the registry's everyday operations, 8 clients at once."""

import os

from bench.client import Client
from bench.config import CLIENTS, TEAM, Scale
from bench.fixture import collection_name, model_name, project_name
from bench.measure import Stats, run_concurrent, settle

PROJECT = project_name(0)


class Refs:
    """Names of fixture rows by number, matching bench.fixture's layout."""

    def __init__(self, scale: Scale, info: dict) -> None:
        self.scale = scale
        self.info = info
        self.next_free = info["next_free_version"]

    def take_versions(self, n: int) -> list[str]:
        """References of n artifact versions not linked yet (each may be linked once as a new version)."""
        s = self.scale
        per = s.versions_per_collection
        first = self.next_free
        self.next_free += n
        if self.next_free > s.versions:
            raise RuntimeError("the fixture has too few unlinked artifact versions for this many links")
        refs = []
        for vid in range(first, first + n):
            c = (vid - 1) // per
            p = c // s.collections_per_project
            refs.append(f"{TEAM}/{project_name(p)}/{collection_name(c)}:v{(vid - 1) % per}")
        return refs

    def model(self, i: int) -> str:
        # Skip model 0 (the big one) so every pick has a handful of versions.
        return model_name(1 + i % (self.scale.registered_models - 1))


def small_blobs(client: Client, count: int = 10) -> list[dict]:
    entries = []
    for _ in range(count):
        data = os.urandom(4096)
        digest = client.upload_bytes(data)
        entries.append({"digest": digest, "size": len(data)})
    return entries


def run(base_url: str, api_key: str, scale: Scale, refs: Refs, log=print) -> list[tuple[str, Stats]]:
    setup_client = Client(base_url, api_key)
    blobs = small_blobs(setup_client)
    total = scale.ops
    results: list[tuple[str, Stats]] = []

    def per_client(c: int) -> dict:
        return {"client": Client(base_url, api_key), "c": c, "n": 0}

    def measure(label: str, op, setup=per_client) -> None:
        settle()
        stats = run_concurrent(op, total=total, clients=CLIENTS, setup=setup)
        log(f"    {label}: p50 {stats.p50_ms:.1f} ms, p95 {stats.p95_ms:.1f} ms, {stats.ops_s:.1f} ops/s")
        results.append((label, stats))

    def commit(state, i):
        manifest = [{"path": f"ckpt-{i}/part-{j}.bin", **b} for j, b in enumerate(blobs)]
        state["client"].commit(
            entity=TEAM, project=PROJECT, name=f"bench-commit-{state['c']}", type="model", manifest=manifest
        )

    measure("commit a version (10 files, blobs present)", commit)

    same = [{"path": f"weights/part-{j}.bin", **b} for j, b in enumerate(blobs)]
    for c in range(CLIENTS):
        setup_client.commit(entity=TEAM, project=PROJECT, name=f"bench-dedup-{c}", type="model", manifest=same)

    def recommit(state, i):
        state["client"].commit(
            entity=TEAM, project=PROJECT, name=f"bench-dedup-{state['c']}", type="model", manifest=same
        )

    measure("re-commit identical content (dedup)", recommit)

    to_link = refs.take_versions(total)

    def link(state, i):
        state["client"].link(entity=TEAM, model=f"bench-link-{state['c']}", artifact=to_link[i])

    measure("link to a registered model", link)

    def alias_move(state, i):
        # Each client moves `staging` of its own model back and forth between two versions.
        state["n"] += 1
        state["client"].alias_set(
            entity=TEAM, model=refs.model(state["c"]), alias="staging", version=f"v{state['n'] % 2}"
        )

    measure("move an alias", alias_move)

    def resolve(state, i):
        state["client"].resolve(f"{TEAM}/model-registry/{refs.model(i)}:production")

    measure("resolve entity/model-registry/Name:alias", resolve)

    def list_page(state, i):
        c = i % (scale.projects * scale.collections_per_project)
        p = c // scale.collections_per_project
        state["client"].versions(entity=TEAM, project=project_name(p), name=collection_name(c), limit=50)

    measure("list a page of 50 versions", list_page)

    families = ["nature", "vision", "speech", "text", "tabular"]

    def search(state, i):
        state["client"].models(entity=TEAM, q=families[i % 5], tag="production-ready", limit=50)

    measure("search registered models by name and tag", search)
    return results
