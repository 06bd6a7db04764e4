"""Fixtures of the SEPA tests: portal orders paid by transfer or direct debit."""

import pytest

from stadtkasse.payments.models import Payment
from stadtkasse.portal.tests.conftest import add, checkout

ADULT = "Erwachsene"


@pytest.fixture
def shop(client, demo):
    """A test client for the portal of the demo town; transfer and debit are offered."""
    return client


def place(shop, product, provider: str, quantity: int = 2):
    """Order pool day tickets in the portal with a provider; return the response and payment."""
    add(shop, product("tageskarte"), ADULT, quantity)
    response = checkout(shop, provider=provider)
    return response, Payment.objects.select_related("order").latest("created_at")


@pytest.fixture
def transfer_payment(shop, product):
    _response, payment = place(shop, product, "transfer")
    return payment


@pytest.fixture
def debit_payment(shop, product):
    _response, payment = place(shop, product, "sepa_debit")
    return payment


VALID_MANDATE = {
    "account_holder": "Maria Muster",
    "iban": "DE02 1203 0000 0000 2020 51",
    "mandate_type": "OOFF",
    "accepted": "on",
}


def grant_mandate(shop, payment, **changes):
    data = {**VALID_MANDATE, **changes}
    return shop.post(f"/lastschrift/{payment.reference}/", data)
