"""CPU time used during a load run: by gunicorn, by PostgreSQL, by the load generator.

On a machine where the server, the database and the client share the same cores, these
numbers show who used the CPU and how close the machine was to saturation. They come
from /proc (Linux only).
"""

import logging
import os
import resource
import threading
import time
import timeit
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_stats() -> list[tuple[int, int, str, float]]:
    """Return pid, parent pid, command line and CPU seconds of every process."""
    stats = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        # The fields after the name start at "state" (field 3 of proc(5)), so utime and
        # stime (fields 14 and 15) are at index 11 and 12.
        seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        stats.append((int(entry.name), int(fields[1]), command, seconds))
    return stats


def _machine_busy_idle() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS, idle / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    server: float
    client: float
    machine_busy: float
    machine_idle: float


def snapshot(server_pid: int | None) -> CpuSnapshot:
    """Take the CPU seconds used so far by the server's processes and the client.

    The server's processes are the gunicorn arbiter and its children. The client is every
    finished child process of this program (the load generator).
    """
    stats = _process_stats()
    server = sum(s for pid, ppid, _c, s in stats if server_pid in (pid, ppid))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, idle = _machine_busy_idle()
    return CpuSnapshot(server, children.ru_utime + children.ru_stime, busy, idle)


class PostgresCpu:
    """Add up the CPU seconds of the PostgreSQL backends serving one database.

    Backends come and go (Django closes a connection older than CONN_MAX_AGE), so a
    thread reads them every half second and keeps each backend's last value. A backend
    that ends loses at most its last half second. PostgreSQL's background writers are not
    counted.
    """

    INTERVAL = 0.5

    def __init__(self, database: str | None):
        self.marker = f" {database} " if database else None
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PostgresCpu":
        if self.marker:
            self._read(initial=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.marker:
            self._stop.set()
            self._thread.join()
            self._read(initial=False)

    @property
    def seconds(self) -> float:
        return sum(value - self.first.get(pid, 0.0) for pid, value in self.last.items())

    def _sample(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._read(initial=False)

    def _read(self, *, initial: bool) -> None:
        for pid, _ppid, command, seconds in _process_stats():
            if command.startswith("postgres:") and self.marker in command:
                if initial:
                    self.first[pid] = seconds
                self.last[pid] = seconds


def usage(before: CpuSnapshot, after: CpuSnapshot, iterations: int, postgres: float = 0.0) -> dict:
    """Describe the CPU used between two snapshots, in total and per iteration (ms)."""

    def per(seconds: float) -> float | None:
        return round(seconds / iterations * 1000, 2) if iterations else None

    busy = after.machine_busy - before.machine_busy
    idle = after.machine_idle - before.machine_idle
    server = after.server - before.server
    client = after.client - before.client
    return {
        "machine_busy_percent": round(100 * busy / (busy + idle), 1) if busy + idle else None,
        "server_cpu_ms_per_iteration": per(server),
        "postgres_cpu_ms_per_iteration": per(postgres),
        "client_cpu_ms_per_iteration": per(client),
        "other_cpu_ms_per_iteration": per(busy - server - postgres - client),
    }


def reference_ms() -> float:
    """Return the time of a fixed pure-Python loop in milliseconds, best of five runs.

    The same code on the same CPU model has run up to three times slower on one day than
    on another. Recorded beside each result, this figure shows how fast the machine was.
    """
    timings = timeit.repeat("sum(i * i for i in range(1_000_000))", number=1, repeat=5)
    return round(min(timings) * 1000, 1)


def busy_percent(seconds: float = 2.0) -> float:
    """Measure how busy all CPUs of the machine are over a short interval, in percent."""
    busy_before, idle_before = _machine_busy_idle()
    time.sleep(seconds)
    busy_after, idle_after = _machine_busy_idle()
    busy, idle = busy_after - busy_before, idle_after - idle_before
    return 100 * busy / (busy + idle) if busy + idle else 0.0


def wait_until_quiet(threshold: float, timeout: float) -> dict:
    """Wait until the machine is less busy than ``threshold`` percent, at most ``timeout`` s.

    Other programs on the machine take CPU from the server and the client, so a load run
    starts only when the machine is nearly idle. Returns how busy it was when the run
    started and whether the wait timed out.
    """
    deadline = time.monotonic() + timeout
    busy = busy_percent()
    while busy >= threshold and time.monotonic() < deadline:
        logger.info("machine %.0f %% busy, waiting for less than %.0f %%", busy, threshold)
        busy = busy_percent(5.0)
    return {"busy_percent_at_start": round(busy, 1), "quiet": busy < threshold}


class RunMeter:
    """Measure the CPU used by server, PostgreSQL, client and others during one load run."""

    def __init__(self, server_pid: int, postgres_database: str | None):
        self.server_pid = server_pid
        self.postgres = PostgresCpu(postgres_database)
        self.before: CpuSnapshot | None = None
        self.after: CpuSnapshot | None = None

    def start(self) -> None:
        self.before = snapshot(self.server_pid)
        self.postgres.__enter__()

    def stop(self) -> None:
        self.postgres.__exit__(None, None, None)
        self.after = snapshot(self.server_pid)

    def usage(self, iterations: int) -> dict:
        return usage(self.before, self.after, iterations, self.postgres.seconds)
