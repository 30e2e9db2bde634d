"""The bench's arithmetic: percentiles, throughput and error counting."""

import time

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


def test_a_timed_round_stops_taking_operations_when_its_time_is_up():
    def op(client, i):
        time.sleep(0.01)

    stats = run_concurrent(op, total=100_000, clients=4, seconds=0.05)
    # 4 threads of 10 ms operations for 50 ms: a handful each, nowhere near the cap.
    assert 4 <= stats.n < 200 and stats.errors == 0


def test_the_clock_of_a_round_starts_once_every_client_is_set_up():
    def setup(client):
        time.sleep(0.3)  # a slow client to make: not part of what is measured
        return client

    stats = run_concurrent(lambda state, i: None, total=8, clients=8, setup=setup)
    assert stats.n == 8
    assert stats.ops_s > 8 / 0.3  # counted with the setup, the 8 operations would take more than 0.3 s
