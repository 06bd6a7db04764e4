"""What the order page offers and lists: no second payment beside a debit, no moot attempts."""

import pytest

from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.portal.tests.conftest import add, checkout, signed_result

pytestmark = pytest.mark.django_db


def order_with(shop, product, provider: str) -> Order:
    add(shop, product("tageskarte"), "Erwachsene", 1)
    checkout(shop, provider=provider)
    return Order.objects.latest("created_at")


def test_abandoned_attempt_hidden_once_paid(shop, product):
    order = order_with(shop, product, "transfer")
    shop.post(f"/bestellung/{order.code}/bezahlen/", {"provider": "demo"})
    online = Payment.objects.filter(order=order, provider="demo").get()
    shop.get(f"/zahlung/{online.reference}/zurueck/", signed_result(online, "paid"))
    order.refresh_from_db()
    assert order.state == OrderState.PAID

    page = shop.get(f"/bestellung/{order.code}/")

    listed_payments = list(page.context["payments"])
    assert [payment.state for payment in listed_payments] == [PaymentState.CONFIRMED]
    assert "Ausstehend" not in page.content.decode()


def test_transfer_order_offers_online_instead(shop, product):
    order = order_with(shop, product, "transfer")

    html = shop.get(f"/bestellung/{order.code}/").content.decode()

    assert "Wenn Sie den Betrag schon überwiesen haben" in html
    assert "Stattdessen online bezahlen mit" in html


def test_transfer_order_offers_only_online_methods(shop, product):
    order = order_with(shop, product, "transfer")

    page = shop.get(f"/bestellung/{order.code}/")

    offered = [provider.method for provider in page.context["providers"]]
    assert offered
    assert set(offered) == {"epay"}
    assert "Zu bezahlen bis" not in page.content.decode()


def test_debit_order_offers_no_other_payment(shop, product):
    order = order_with(shop, product, "sepa_debit")

    html = shop.get(f"/bestellung/{order.code}/").content.decode()

    assert "Jetzt bezahlen" not in html
    assert "online bezahlen" not in html


def test_debit_order_rejects_online_payment(shop, product):
    order = order_with(shop, product, "sepa_debit")
    before = Payment.objects.filter(order=order).count()

    response = shop.post(f"/bestellung/{order.code}/bezahlen/", {"provider": "demo"}, follow=True)

    assert "wird per Lastschrift bezahlt" in response.content.decode()
    assert Payment.objects.filter(order=order).count() == before
