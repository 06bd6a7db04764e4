"""SQLite backend that queues write transactions on a file lock.

SQLite lets one connection write at a time. With IMMEDIATE transactions a second writer
waits in SQLite's busy handler, which sleeps in growing steps of up to 100 ms
(``sqliteDefaultBusyCallback`` in SQLite's main.c) and grants the lock to whoever retries
first. Under load from several tills those sleeps, not the writes, made the slowest sales
(p99 1.2 s at 8 tills, bench/run_counter.py). This backend takes an exclusive ``flock(2)`` on a file
beside the database before ``BEGIN`` and releases it after ``COMMIT`` or ``ROLLBACK``, so
that a waiting writer starts as soon as the lock is free.

Each connection (Django opens one per thread) opens the lock file itself, so the lock
works between the threads of a process and between processes. A process that dies
releases it with its file descriptors. Writes outside a transaction still wait in the
busy handler, and in-memory databases take no lock.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _acquire_write_lock(self) -> None:
        if self._holds_write_lock or self.is_in_memory_db():
            return
        if self._lock_fd is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # Blocks until the current writer commits or rolls back. The wait has no limit,
        # because the holder is a running transaction or a process that is gone.
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._holds_write_lock = True

    def _release_write_lock(self) -> None:
        if self._holds_write_lock and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._holds_write_lock = False
