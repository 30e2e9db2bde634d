"""Timing helpers: latency percentiles, a bounded concurrent load loop, and RSS sampling from /proc."""

import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass
class Stats:
    n: int
    p50_ms: float
    p95_ms: float
    ops_s: float
    errors: int = 0

    @classmethod
    def of(cls, latencies: list[float], wall: float, errors: int = 0) -> "Stats":
        if not latencies:
            return cls(0, float("nan"), float("nan"), 0.0, errors)
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return cls(len(ordered), statistics.median(ordered) * 1000, p95 * 1000, len(ordered) / wall, errors)


def run_concurrent(
    op: Callable[[int, int], None], *, total: int, clients: int, setup=None, seconds: float | None = None
) -> Stats:
    """Call op(client, i) `total` times over `clients` threads; each thread may own state made by setup(client).

    With `seconds`, threads stop taking new operations once that long has passed (`total` is then a cap):
    a round of a fast operation lasts as long as one of a slow one, so neither is mostly ramp-up.
    The clock starts when every thread has made its state, so setting up a client is not counted.
    Errors are counted, not raised, so one bad request does not lose a run; the report shows them.
    """
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    ready = threading.Barrier(clients + 1)
    deadline = [float("inf")]

    def worker(client: int) -> None:
        try:
            state = setup(client) if setup else None
        finally:
            ready.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            start = time.perf_counter()
            if start >= deadline[0]:
                return
            try:
                op(state if setup else client, i)
            except Exception as exc:  # noqa: BLE001 - counted and shown; the run goes on
                with lock:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print(f"    error: {exc!r}"[:300])
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, c) for c in range(clients)]
        ready.wait()
        wall_start = time.perf_counter()
        if seconds is not None:
            deadline[0] = wall_start + seconds
        for f in futures:
            f.result()
    return Stats.of(latencies, time.perf_counter() - wall_start, errors[0])


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


class RssSampler:
    """Samples the RSS of a process's children every 20 ms; `growth_mib` is the largest rise of any one."""

    def __init__(self, parent_pid: int) -> None:
        self.parent_pid = parent_pid
        self.baseline: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "RssSampler":
        for pid in children(self.parent_pid):
            self.baseline[pid] = self.peak[pid] = rss_kib(pid)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.02):
            for pid in children(self.parent_pid):
                value = rss_kib(pid)
                self.baseline.setdefault(pid, value)
                self.peak[pid] = max(self.peak.get(pid, 0), value)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    @property
    def growth_mib(self) -> float:
        return max((self.peak[p] - self.baseline[p] for p in self.peak), default=0) / 1024

    @property
    def peak_mib(self) -> float:
        return max(self.peak.values(), default=0) / 1024


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def settle(*, busy_below: float = 0.15, sample: float = 0.5, timeout: float = 20.0) -> float:
    """Wait until the machine is quiet (busy under `busy_below` over `sample` seconds); the seconds waited.

    A server may go on working after its round (MLflow's did, for about two seconds after creating
    versions); the next round, of either side, must not pay for it.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        busy0, total0 = _cpu_times()
        time.sleep(sample)
        busy1, total1 = _cpu_times()
        if total1 > total0 and (busy1 - busy0) / (total1 - total0) < busy_below:
            break
    return time.perf_counter() - started


def cpu_count() -> int:
    return os.cpu_count() or 1
