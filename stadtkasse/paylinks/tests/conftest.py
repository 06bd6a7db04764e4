"""Fixtures of the payment link tests: signed-in tills, link requests, the demo provider."""

import json
import uuid

import pytest
from django.test import Client, modify_settings

from stadtkasse.orders.pricing import LineRequest


@pytest.fixture
def demo_epay(settings):
    """Offer the demo provider and route /dev/epay/ as a demo installation does."""
    settings.DEMO = True
    settings.ROOT_URLCONF = "stadtkasse.portal.tests.demo_urls"
    with modify_settings(INSTALLED_APPS={"append": "stadtkasse_dev.epay"}):
        yield


@pytest.fixture
def day_ticket_lines(product):
    """Request lines of adult day tickets of the pool, as LineRequests and as JSON."""

    def lines(quantity: int = 2, as_json: bool = False):
        ticket = product("tageskarte")
        adult = ticket.variants.get(name="Erwachsene")
        if as_json:
            return [{"product": ticket.pk, "variant": adult.pk, "quantity": quantity}]
        return [LineRequest(product_id=ticket.pk, variant_id=adult.pk, quantity=quantity)]

    return lines


@pytest.fixture
def till_client(demo):
    """Return a test client signed in as a demo account, with CSRF checks as in a browser."""
    from django.contrib.auth import get_user_model

    def signed_in(username: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return signed_in


def csrf_header(client: Client, point_of_sale) -> dict:
    """Open the sale screen like the cashier does and return the CSRF header for requests."""
    client.get(f"/kasse/{point_of_sale.pk}/")
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return {"X-CSRFToken": token}


def post_link(client: Client, point_of_sale, body: dict | None = None, *, raw: bytes | None = None):
    """Post a link request the way counter/paylink.js does."""
    return client.post(
        f"/kasse/{point_of_sale.pk}/zahlungslink",
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=csrf_header(client, point_of_sale),
    )


def new_token() -> str:
    return uuid.uuid4().hex
