"""Section 4: the pages at scale, rendered in-process: server time and SQL query count."""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.config import TEAM, USER
from bench.fixture import BIG_COLLECTION, BIG_MODEL, project_name
from bench.measure import Stats


def pages() -> list[tuple[str, str]]:
    return [
        ("Model Registry", f"/{TEAM}/model-registry/"),
        ("registered model, 500 versions", f"/{TEAM}/model-registry/{BIG_MODEL}/"),
        ("project's artifacts", f"/{TEAM}/{project_name(0)}/artifacts/"),
        ("artifact version, 10,000 files", f"/{TEAM}/{project_name(0)}/artifacts/{BIG_COLLECTION}/v0/"),
        ("artifact version's files, 10,000", f"/{TEAM}/{project_name(0)}/artifacts/{BIG_COLLECTION}/v0/files/"),
        ("home", "/"),
    ]


def run(samples: int, log=print) -> list[tuple[str, Stats, int, int]]:
    """(label, timings, SQL queries of one request, status)."""
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))
    results = []
    for label, url in pages():
        for _ in range(2):  # warm caches and connections, as a running server would be
            client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        queries = len(ctx.captured_queries)
        latencies = []
        for _ in range(samples):
            start = time.perf_counter()
            client.get(url)
            latencies.append(time.perf_counter() - start)
        stats = Stats.of(latencies, sum(latencies))
        log(
            f"    {label}: p50 {stats.p50_ms:.1f} ms, p95 {stats.p95_ms:.1f} ms, "
            f"{queries} queries, {response.status_code}"
        )
        results.append((label, stats, queries, response.status_code))
    return results
