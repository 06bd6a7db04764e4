"""A closed-loop load generator: N simulated users, each sending its next request at once.

Users run as threads spread over a few processes, so that the client's own Python work is
not serialized by one interpreter lock. Every user first sets itself up (logs in), then
all start together; the first seconds warm the server up and are not counted.
"""

import logging
import multiprocessing
import statistics
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# One measured iteration: start (time.monotonic, shared by all processes on Linux),
# duration in seconds, success, a short reason for a failure, and the seconds of each
# named step where the iteration has several.
Sample = tuple[float, float, bool, str, dict[str, float]]


@dataclass
class LoadResult:
    users: int
    processes: int
    warmup_seconds: float
    duration_seconds: float
    samples: list[Sample]
    # Successful iterations over the whole run, warm-up and edges included.
    total_successes: int = 0

    def summary(self) -> dict:
        """Throughput and latency percentiles of the requests inside the measured window."""
        ok = [sample[1] for sample in self.samples if sample[2]]
        failures = [sample[3] for sample in self.samples if not sample[2]]
        summary = {
            "users": self.users,
            "client_processes": self.processes,
            "warmup_seconds": self.warmup_seconds,
            "duration_seconds": self.duration_seconds,
            "requests": len(ok),
            "errors": len(failures),
            "per_second": round(len(ok) / self.duration_seconds, 1),
        }
        summary.update(latency_ms(ok))
        step_names = {name: None for sample in self.samples for name in sample[4]}
        if step_names:
            summary["steps"] = {
                name: latency_ms([s[4][name] for s in self.samples if s[2] and name in s[4]])
                for name in step_names
            }
        if failures:
            summary["first_errors"] = sorted(set(failures))[:5]
        return summary


def latency_ms(seconds: list[float]) -> dict:
    """Return p50, p95, p99, mean and max of durations in milliseconds."""
    if not seconds:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    if len(seconds) == 1:
        cuts = [seconds[0]] * 99
    else:
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


# A user factory takes one user's description (a dict) and returns the function that
# performs one iteration and returns (success, failure reason) or (success, failure
# reason, seconds per step). It must be a module-level function so that it can be handed
# to another process.
UserFactory = Callable[[dict], Callable[[], tuple]]


def run_load(
    factory: UserFactory,
    users: list[dict],
    *,
    processes: int,
    warmup: float,
    duration: float,
    meter=None,
) -> LoadResult:
    """Run every user in a closed loop for warmup + duration seconds and collect samples.

    ``meter.start()`` is called when every user has set itself up (logins cost the server
    much CPU and are not part of the load), and ``meter.stop()`` when all have finished.
    """
    processes = max(1, min(processes, len(users)))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(users) + 1)
    start_event = context.Event()
    start_time = context.Value("d", 0.0)
    results = context.Queue()

    groups = [users[i::processes] for i in range(processes)]
    workers = [
        context.Process(
            target=_process_main,
            args=(factory, group, barrier, start_event, start_time, warmup, duration, results),
            daemon=True,
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()

    try:
        barrier.wait(timeout=600)
    except threading.BrokenBarrierError:
        errors = _drain_errors(results, len(users))
        for worker in workers:
            worker.terminate()
        raise RuntimeError(f"user setup failed: {errors}") from None
    if meter is not None:
        meter.start()
    start_time.value = time.monotonic()
    start_event.set()

    samples: list[Sample] = []
    errors = []
    for _ in range(len(users)):
        kind, payload = results.get(timeout=warmup + duration + 300)
        if kind == "samples":
            samples.extend(payload)
        else:
            errors.append(payload)
    for worker in workers:
        worker.join(timeout=30)
    if meter is not None:
        meter.stop()
    if errors:
        raise RuntimeError(f"users failed during the load: {errors[:3]}")

    window_start = start_time.value + warmup
    window_end = window_start + duration
    measured = [s for s in samples if s[0] >= window_start and s[0] + s[1] <= window_end]
    successes = sum(1 for sample in samples if sample[2])
    return LoadResult(len(users), processes, warmup, duration, measured, successes)


def _drain_errors(results, count: int) -> list[str]:
    errors = []
    deadline = time.monotonic() + 5
    while len(errors) < count and time.monotonic() < deadline:
        try:
            kind, payload = results.get(timeout=0.5)
        except Exception:  # queue.Empty from another process's queue
            break
        if kind == "error":
            errors.append(payload)
    return errors


def _process_main(factory, group, barrier, start_event, start_time, warmup, duration, results):
    threads = [
        threading.Thread(
            target=_user_main,
            args=(factory, spec, barrier, start_event, start_time, warmup, duration, results),
        )
        for spec in group
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _user_main(factory, spec, barrier, start_event, start_time, warmup, duration, results):
    try:
        iteration = factory(spec)
    except Exception:
        results.put(("error", f"setup of {spec.get('name', spec)}: {traceback.format_exc()}"))
        barrier.abort()
        return
    try:
        barrier.wait(timeout=600)
    except threading.BrokenBarrierError:
        return
    start_event.wait()
    end = start_time.value + warmup + duration

    samples: list[Sample] = []
    try:
        while True:
            started = time.monotonic()
            if started >= end:
                break
            steps: dict[str, float] = {}
            try:
                success, detail, *more = iteration()
                if more:
                    steps = more[0]
            except Exception as error:  # a failed request is a sample, not a crash
                success, detail = False, f"{type(error).__name__}: {error}"[:300]
            samples.append((started, time.monotonic() - started, success, detail, steps))
    except Exception:
        results.put(("error", traceback.format_exc()))
        return
    results.put(("samples", samples))
