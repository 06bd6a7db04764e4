"""The read-ahead iterator: order, errors, early exit and bounded memory."""

import itertools
import threading
import time

import pytest

from stadtkasse.banking.readahead import read_ahead


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
