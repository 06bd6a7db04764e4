"""The SQLite backend queues write transactions on a file lock beside the database."""

import threading

import pytest
from django.db import connections

from stadtkasse.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="the write lock belongs to SQLite"
)


def open_database(path) -> DatabaseWrapper:
    settings = {**connections["default"].settings_dict, "NAME": str(path)}
    return DatabaseWrapper(settings, alias="write-lock-test")


def begin(database: DatabaseWrapper) -> None:
    database.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def finish(database: DatabaseWrapper, *, commit: bool = True) -> None:
    if commit:
        database.commit()
    else:
        database.rollback()
    database.set_autocommit(True)


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker):
    """Allow connections to the test's own database files, which are not Django's test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def path(tmp_path):
    database_file = tmp_path / "lock.sqlite3"
    database = open_database(database_file)
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE sale (till TEXT)")
    database.close()
    return database_file


def run_second_writer(path, steps: list[str]) -> threading.Thread:
    def second() -> None:
        database = open_database(path)
        begin(database)
        steps.append("second began")
        with database.cursor() as cursor:
            cursor.execute("INSERT INTO sale VALUES ('second')")
        finish(database)
        database.close()

    thread = threading.Thread(target=second)
    thread.start()
    return thread


def test_second_writer_waits_for_commit(path):
    steps: list[str] = []
    first = open_database(path)
    begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO sale VALUES ('first')")

    second = run_second_writer(path, steps)
    second.join(timeout=0.3)
    assert second.is_alive()  # still waiting for the lock
    steps.append("first committed")
    finish(first)
    second.join(timeout=10)

    assert steps == ["first committed", "second began"]
    with first.cursor() as cursor:
        cursor.execute("SELECT till FROM sale ORDER BY rowid")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    first.close()


def test_rollback_releases_the_lock(path):
    steps: list[str] = []
    first = open_database(path)
    begin(first)
    finish(first, commit=False)

    second = run_second_writer(path, steps)
    second.join(timeout=10)

    assert steps == ["second began"]
    first.close()


def test_closing_releases_the_lock(path):
    steps: list[str] = []
    first = open_database(path)
    begin(first)
    first.close()

    second = run_second_writer(path, steps)
    second.join(timeout=10)

    assert steps == ["second began"]
    assert (path.parent / "lock.sqlite3.writelock").exists()
