"""Fixtures of the portal tests: the demo e-payment platform switched on, and helpers."""

import json

import pytest
from django.test import modify_settings

from stadtkasse.payments.providers.demo import SIGNATURE_HEADER, canonical, sign


@pytest.fixture
def demo_epay(settings):
    """Offer the demo provider and route /dev/epay/ as a demo installation does."""
    settings.DEMO = True
    settings.ROOT_URLCONF = "stadtkasse.portal.tests.demo_urls"
    with modify_settings(INSTALLED_APPS={"append": "stadtkasse_dev.epay"}):
        yield


@pytest.fixture
def shop(client, demo, demo_epay):
    """A test client for the portal of the demo town with the demo provider on."""
    return client


def add(client, product, variant_name=None, quantity=1, **answers):
    """Put a product into the cart through its product page; return the response."""
    data = {"quantity": str(quantity)}
    if variant_name:
        data["variant"] = str(product.variants.get(name=variant_name).pk)
    data.update({f"antwort_{key}": value for key, value in answers.items()})
    return client.post(f"/leistung/{product.slug}/", data)


def cart_token(client) -> str:
    return client.session["portal_cart"]


def checkout(client, email="gast@example.de", provider="demo", token=None):
    return client.post(
        "/bestellen/",
        {
            "email": email,
            "provider": provider,
            "cart": token or cart_token(client),
        },
    )


def signed_result(payment, status, amount=None) -> dict:
    """The result parameters the demo platform puts on the return URL."""
    params = {
        "reference": str(payment.reference),
        "transaction": "DEMO-TEST",
        "status": status,
        "amount": str(payment.amount_cents if amount is None else amount),
    }
    params["sig"] = sign(canonical(params))
    return params


def notification(payment, status, amount=None) -> tuple[bytes, dict]:
    """A signed notification body with its header, as the demo platform sends it."""
    body = json.dumps(
        {
            "reference": str(payment.reference),
            "transaction": "DEMO-TEST",
            "status": status,
            "amount": payment.amount_cents if amount is None else amount,
        }
    ).encode()
    return body, {f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}": sign(body)}


@pytest.fixture
def client_factory():
    """Make further test clients: other browsers with their own cookies."""
    from django.test import Client

    return Client


@pytest.fixture
def product_factory_tx(transactional_db):
    """Load the demo town in a test whose transactions really commit; look products up."""
    from stadtkasse.backoffice.demo import load_demo
    from stadtkasse.catalog.models import Product

    load_demo()
    return lambda slug: Product.objects.get(slug=slug)
