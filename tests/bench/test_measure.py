"""The bench's arithmetic: percentiles, throughput and error counting."""

import pytest

from bench.measure import Stats, run_concurrent
from bench.report import fmt, stats_table

pytestmark = pytest.mark.embedded


def test_stats_take_the_median_and_the_95th_percentile_in_milliseconds():
    stats = Stats.of([i / 1000 for i in range(1, 101)], wall=2.0)
    assert stats.n == 100
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p95_ms == pytest.approx(95.0)
    assert stats.ops_s == pytest.approx(50.0)


def test_stats_of_nothing_report_no_latency_rather_than_fail():
    stats = Stats.of([], wall=1.0, errors=3)
    assert (stats.n, stats.ops_s, stats.errors) == (0, 0.0, 3)
    assert fmt(stats.p50_ms) == "—"


def test_the_load_loop_runs_every_operation_once_and_counts_failures():
    seen = []

    def op(client, i):
        seen.append(i)
        if i % 10 == 0:
            raise RuntimeError("refused")

    stats = run_concurrent(op, total=50, clients=4)
    assert sorted(seen) == list(range(50))
    assert (stats.n, stats.errors) == (45, 5)


def test_a_section_table_has_one_row_per_operation():
    lines = stats_table("API", [("resolve", Stats.of([0.01, 0.02], wall=1.0))])
    assert lines[0] == "## API"
    assert lines[-2].startswith("| resolve | 2 | 15.0 |")
