"""Reading ahead in a thread and in a child process: order, errors, early exit, memory."""

import itertools
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.readahead import can_read_in_child, read_ahead, read_in_child


def read_ahead_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "read-ahead"]


def test_yields_every_item_in_order():
    with read_ahead(range(2503), chunk=100, chunks=3) as items:
        assert list(items) == list(range(2503))
    assert read_ahead_threads() == []


def test_empty_input():
    with read_ahead(iter([])) as items:
        assert list(items) == []


def test_error_raised_after_earlier_items():
    def entries():
        yield from range(5)
        raise ValueError("broken entry 6")

    received = []
    with pytest.raises(ValueError, match="broken entry 6"), read_ahead(entries(), chunk=2) as items:
        for item in items:
            received.append(item)
    assert received == [0, 1, 2, 3, 4]
    assert read_ahead_threads() == []


def test_leaving_early_stops_the_thread():
    produced = itertools.count()

    def endless():
        while True:
            yield next(produced)

    with read_ahead(endless(), chunk=10, chunks=2) as items:
        assert next(items) == 0
    assert read_ahead_threads() == []


def test_reads_at_most_the_given_chunks_ahead():
    produced = []

    def counted():
        for number in range(100_000):
            produced.append(number)
            yield number

    with read_ahead(counted(), chunk=10, chunks=3) as items:
        next(items)
        # Give the second thread time to fill its queue and block.
        deadline = time.monotonic() + 2
        seen = -1
        while time.monotonic() < deadline and seen != len(produced):
            seen = len(produced)
            time.sleep(0.05)
        # The chunk being read, three waiting chunks and the one being filled.
        assert len(produced) <= 10 * 5


# -- reading in a child process -----------------------------------------------------------


def test_child_yields_items_and_summary():
    with read_in_child(iter(range(2503)), lambda: "fertig", chunk=100, chunks=3) as reading:
        assert list(reading) == list(range(2503))
    assert reading.summary == "fertig"
    assert multiprocessing.active_children() == []


def test_child_error_raised_after_earlier_items():
    def entries():
        yield from range(5)
        raise BankingError("broken_xml", file="auszug.xml", line=3, column=7)

    received = []
    with pytest.raises(BankingError) as raised, read_in_child(entries(), str, chunk=2) as reading:
        for item in reading:
            received.append(item)
    assert received == [0, 1, 2, 3, 4]
    assert raised.value.code == "broken_xml"
    assert raised.value.params == {"file": "auszug.xml", "line": "3", "column": "7"}


def test_child_error_without_pickle_as_text():
    class LocalError(Exception):
        """Defined in the test, so pickle cannot find the class by name."""

    def entries():
        yield 1
        raise LocalError("entry 2 unreadable")

    with (
        pytest.raises(RuntimeError, match="entry 2 unreadable"),
        read_in_child(entries(), str) as reading,
    ):
        list(reading)


def test_leaving_early_stops_the_child():
    with read_in_child(itertools.count(), str, chunk=10, chunks=2) as reading:
        assert next(iter(reading)) == 0
    assert multiprocessing.active_children() == []


def test_no_child_beside_other_threads():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_read_in_child()
    finally:
        stop.set()
        thread.join()


PARENT_SCRIPT = """
import itertools, multiprocessing, sys
from stadtkasse.banking.readahead import read_in_child
with read_in_child(itertools.count(), str, chunk=10, chunks=2) as reading:
    next(iter(reading))
    print(multiprocessing.active_children()[0].pid, flush=True)
    sys.stdin.read()
"""


def running(pid: int) -> bool:
    """Tell whether a process runs; a zombie waiting to be reaped has ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc of Linux")
def test_child_ends_with_killed_parent():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    child_pid = int(parent.stdout.readline())
    assert running(child_pid)

    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while running(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphaned = running(child_pid)
    if orphaned:
        os.kill(child_pid, signal.SIGKILL)
    assert not orphaned
