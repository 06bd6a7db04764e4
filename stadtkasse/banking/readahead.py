"""Read an iterator ahead, so that parsing a file overlaps database work.

A bank statement import parses XML and writes to the database in turns. ``read_ahead``
parses in a second thread: while a database server works, the importing thread waits
with the interpreter lock released, so the second thread can parse the next entries in
that time. ``read_in_child`` parses in a child process, which runs on another core
whatever this process does, also while SQLite works inside it.
"""

import fcntl
import gc
import multiprocessing
import pickle
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
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


# -- reading in a child process -------------------------------------------------------------

# Linux lets a pipe buffer this much, so that the child can hand over a whole chunk while
# the parent works. Other systems keep their default.
PIPE_BYTES = 1024 * 1024
_ITEMS, _END, _FAILED = "items", "end", "failed"


class ChildReading:
    """The items that a child process reads, and what ``finish`` returned in it at the end."""

    def __init__(self, receiver):
        self._receiver = receiver
        self.summary = None

    def __iter__(self):
        while True:
            try:
                kind, value = pickle.loads(self._receiver.recv_bytes())
            except EOFError:
                raise RuntimeError("the parsing process ended without a result") from None
            if kind == _ITEMS:
                yield from value
            elif kind == _END:
                self.summary = value
                return
            elif isinstance(value, BaseException):
                raise value
            else:
                raise RuntimeError(f"the parsing process failed:\n{value}")


def can_read_in_child() -> bool:
    """Tell whether ``read_in_child`` may fork this process.

    A fork copies the locks that other threads hold at that moment, and the child could
    wait for them forever. So only a process with one thread forks: a management command,
    not a web server's worker with a thread pool.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


@contextmanager
def read_in_child(
    items: Iterable[T], finish: Callable[[], object], *, chunk: int = 1000, chunks: int = 2
) -> Iterator[ChildReading]:
    """Read ``items`` in a forked child process while this process works on earlier ones.

    The child pickles ``chunk`` items at a time and keeps at most ``chunks`` of them ready,
    so memory stays bounded. After the last item it calls ``finish`` and the returned
    value becomes the reading's ``summary``. An exception in the child is raised here
    unchanged if it can be pickled, otherwise as RuntimeError with its traceback. The
    child must not use the database or anything else this process has open, because both
    would share it. Check ``can_read_in_child`` first.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_read_and_send,
        args=(items, finish, receiver, sender, chunk, chunks),
        name="read-in-child",
        daemon=True,
    )
    process.start()
    sender.close()
    _grow_pipe(receiver)
    try:
        yield ChildReading(receiver)
    finally:
        receiver.close()
        process.join(timeout=1)
        if process.is_alive():
            process.terminate()
            process.join()


class _ParentGone(Exception):
    """The parent closed its end of the pipe: it left the block or ended."""


def _read_and_send(items, finish, receiver, sender, chunk: int, chunks: int) -> None:
    """Run in the child: read the items and send them in pickled chunks, then the summary.

    The child stops as soon as a send fails, because then the parent has closed its end
    or has died. It must not outlive the parent: it shares the parent's open files, and
    with them a lock on the SQLite database that would block every later write.
    """
    # Without this copy of the parent's end, a send fails once the parent is gone.
    receiver.close()
    # The child only makes short-lived objects, so the collector would only cost time.
    gc.disable()
    ready: queue.Queue = queue.Queue(maxsize=chunks)
    parent_gone = threading.Event()

    def send() -> None:
        # A second thread sends, so that reading goes on while the parent is busy.
        while (data := ready.get()) is not None:
            try:
                sender.send_bytes(data)
            except OSError:
                parent_gone.set()
                return

    def hand_over(value) -> None:
        data = None if value is None else _dumps(value)
        while True:
            if parent_gone.is_set():
                raise _ParentGone
            try:
                ready.put(data, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=send, name="send", daemon=True)
    thread.start()
    batch = []
    try:
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= chunk:
                    hand_over((_ITEMS, batch))
                    batch = []
            message = (_END, finish())
        except _ParentGone:
            raise
        except BaseException as error:  # noqa: BLE001 - raised again in the parent
            message = (_FAILED, error)
        # The items read before an error come first.
        if batch:
            hand_over((_ITEMS, batch))
        try:
            hand_over(message)
        except _ParentGone:
            raise
        except Exception:  # noqa: BLE001 - what cannot be pickled goes as text
            value = message[1]
            if isinstance(value, BaseException):
                text = "".join(traceback.format_exception(value))
            else:
                text = traceback.format_exc()
            hand_over((_FAILED, text))
        hand_over(None)
        thread.join()
    except _ParentGone:
        return
    finally:
        sender.close()


def _dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _grow_pipe(connection) -> None:
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    try:
        fcntl.fcntl(connection.fileno(), set_size, PIPE_BYTES)
    except OSError:
        # The system limit may be lower; the default size works, only with more waits.
        pass
