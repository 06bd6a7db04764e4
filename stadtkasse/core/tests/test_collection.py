"""The cycle collector is off inside a paused block and comes back as it was."""

import gc
import threading

import pytest

from stadtkasse.core.collection import cycle_collection_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_off_inside_and_on_after():
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_error():
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError("broken file")
    assert gc.isenabled()


def test_stays_off_where_it_was_off():
    gc.disable()
    with cycle_collection_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_blocks_in_two_threads():
    first_inside = threading.Event()
    second_done = threading.Event()

    def second():
        first_inside.wait()
        with cycle_collection_paused():
            pass
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with cycle_collection_paused():
        first_inside.set()
        second_done.wait()
        # The second block ended first; the first one still runs without the collector.
        assert not gc.isenabled()
    thread.join()
    assert gc.isenabled()
