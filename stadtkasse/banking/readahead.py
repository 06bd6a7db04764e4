"""Read an iterator ahead in a second thread, so that parsing a file overlaps database work.

A bank statement import parses XML and writes to the database in turns. While a database
server works, the importing thread waits with the interpreter lock released, so a second
thread can parse the next entries in that time.
"""

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    """An exception raised by the iterator, carried to the consuming thread."""

    def __init__(self, error: BaseException):
        self.error = error


@contextmanager
def read_ahead(items: Iterable[T], *, chunk: int = 1000, chunks: int = 2) -> Iterator[Iterator[T]]:
    """Yield an iterator over ``items`` that a second thread fills ahead of the consumer.

    At most ``chunks`` lists of ``chunk`` items wait at any time, so memory stays bounded
    however long the input is. An exception of the input iterator is raised in the
    reading thread, where the next item would have come. Leaving the block early stops
    the second thread after its current chunk.
    """
    waiting: queue.Queue = queue.Queue(maxsize=chunks)
    stop = threading.Event()

    def hand_over(value) -> bool:
        while not stop.is_set():
            try:
                waiting.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batch = []
        end = _END
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= chunk:
                    if not hand_over(batch):
                        return
                    batch = []
        except BaseException as error:  # noqa: BLE001 - raised again in the reading thread
            end = _Failure(error)
        # The items read before an error come first.
        if batch and not hand_over(batch):
            return
        hand_over(end)

    def consume() -> Iterator[T]:
        while True:
            value = waiting.get()
            if value is _END:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield from value

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()
