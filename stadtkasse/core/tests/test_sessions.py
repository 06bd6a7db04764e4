"""The session store reads sessions with fixed SQL and behaves as Django's database store."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from stadtkasse.core.sessions import SessionStore


def test_session_round_trip(db):
    store = SessionStore()
    store["till"] = 4
    store.save()

    loaded = SessionStore(session_key=store.session_key)

    assert loaded["till"] == 4
    assert loaded.session_key == store.session_key


def test_expired_session_is_empty(db):
    store = SessionStore()
    store["till"] = 4
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    loaded = SessionStore(session_key=store.session_key)

    assert loaded.load() == {}
    assert loaded.session_key is None


def test_unknown_session_is_empty(db):
    loaded = SessionStore(session_key="x" * 32)

    assert loaded.load() == {}
    assert loaded.session_key is None
