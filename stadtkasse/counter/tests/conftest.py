"""Fixtures of the counter tests: signed-in clients and helpers for sale requests."""

import json
import uuid

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash passwords with a fast hasher; these tests do not check password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def login(demo):
    """Return a test client signed in as a demo account (CSRF checks on, as in a browser)."""

    def signed_in(username: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user(username))
        return client

    return signed_in


@pytest.fixture
def post_sale():
    """Post a sale to a till the way its script does: JSON with the CSRF header."""

    def post(client: Client, point_of_sale, body, *, raw: bytes | None = None):
        client.get(f"/kasse/{point_of_sale.pk}/")  # sets the CSRF cookie like the page does
        token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
        return client.post(
            f"/kasse/{point_of_sale.pk}/verkauf",
            data=raw if raw is not None else json.dumps(body),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )

    return post


@pytest.fixture
def day_tickets(product):
    """The request lines of adult day tickets of the pool."""

    def lines(quantity: int = 2) -> list[dict]:
        ticket = product("tageskarte")
        adult = ticket.variants.get(name="Erwachsene")
        return [{"product": ticket.pk, "variant": adult.pk, "quantity": quantity}]

    return lines


def new_token() -> str:
    return str(uuid.uuid4())
