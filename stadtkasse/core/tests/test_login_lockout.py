"""Too many failed logins lock the user name from that client for a while (django-axes)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CITIZEN = "buerger@musterstadt.example"
CASHIER = "kasse.hallenbad"
PASSWORD = "musterstadt"


def portal_login(client: Client, email: str, password: str):
    return client.post("/konto/anmelden/", {"email": email, "password": password})


def counter_login(client: Client, username: str, password: str):
    return client.post("/kasse/anmelden/", {"username": username, "password": password})


def test_portal_locks_after_five_failures(demo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert portal_login(client, CITIZEN, "falsch").status_code == 200

    locked = portal_login(client, CITIZEN, "falsch")

    assert locked.status_code == 429
    assert "Anmeldung vorübergehend gesperrt" in locked.content.decode()
    assert "15 Minuten" in locked.content.decode()


def test_right_password_is_rejected_while_locked(demo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        portal_login(client, CITIZEN, "falsch")

    response = portal_login(client, CITIZEN, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_success_resets_the_count(demo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        portal_login(client, CITIZEN, "falsch")
    assert portal_login(client, CITIZEN, PASSWORD).status_code == 302
    client.post("/konto/abmelden/")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert portal_login(client, CITIZEN, "falsch").status_code == 200


def test_other_user_names_stay_open(demo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        counter_login(client, "kasse.buergerbuero", "falsch")

    response = counter_login(client, CASHIER, PASSWORD)

    assert response.status_code == 302


def test_counter_lock_page_is_german(demo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        counter_login(client, CASHIER, "falsch")

    locked = counter_login(client, CASHIER, "falsch")

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Anmeldung vorübergehend gesperrt" in page
    assert "Administrator" in page


def test_lock_is_not_logged_with_the_user_name(demo, settings, caplog):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        counter_login(client, CASHIER, "falsch")

    assert CASHIER not in caplog.text
