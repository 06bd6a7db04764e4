import threading

import pytest
from django.db import connection
from django.test import Client

from stadtkasse.orders.models import Cart, Order, OrderState
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.portal.tests.conftest import add, cart_token, checkout

ADULT = "Erwachsene"


def test_checkout_page_lists_cart_and_providers(shop, product):
    add(shop, product("tageskarte"), ADULT, 2)

    response = shop.get("/bestellen/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Demo-E-Payment" in html or "demo" in html
    assert "8,00\u00a0€" in html


def test_checkout_creates_order_and_redirects_to_provider(shop, product):
    add(shop, product("tageskarte"), ADULT, 2)

    response = checkout(shop)

    order = Order.objects.get()
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url.startswith("/dev/epay/pay/?")
    assert f"reference={payment.reference}" in response.url
    assert order.state == OrderState.PENDING_PAYMENT
    assert order.total_cents == 800
    assert order.email == "gast@example.de"
    assert payment.state == PaymentState.PENDING
    assert "http%3A%2F%2Ftestserver%2Fzahlung%2F" in response.url


def test_double_submit_makes_one_order(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)
    token = cart_token(shop)

    first = checkout(shop, token=token)
    second = checkout(shop, token=token)

    order = Order.objects.get()
    assert first.url.startswith("/dev/epay/pay/")
    assert second.url == f"/bestellung/{order.code}/"
    assert Payment.objects.count() == 1


def test_checkout_get_after_order_goes_to_order(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)
    checkout(shop)

    response = shop.get("/bestellen/", follow=True)

    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == f"/bestellung/{order.code}/"
    assert (
        f"Ihre Bestellung {order.code} wurde bereits angelegt. "
        "Sie müssen nicht noch einmal bestellen."
    ) in response.content.decode()


def test_empty_cart_checkout_is_rejected(shop):
    response = shop.get("/bestellen/", follow=True)

    assert response.redirect_chain[-1][0] == "/warenkorb/"
    assert "Ihr Warenkorb ist leer." in response.content.decode()
    assert Order.objects.count() == 0


def test_invalid_email_is_rejected(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)

    response = checkout(shop, email="keine-adresse")

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Die E-Mail-Adresse „keine-adresse“ ist ungültig. Bitte prüfen Sie sie, zum "
        "Beispiel name@beispiel.de."
    ]
    assert Order.objects.count() == 0
    assert Cart.objects.get().order is None


def test_unknown_payment_method_is_rejected(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)

    response = checkout(shop, provider="bar")

    assert response.context["form"].errors["provider"] == [
        "Die Zahlungsart „bar“ ist hier nicht verfügbar. Bitte wählen Sie eine andere."
    ]
    assert Order.objects.count() == 0


def test_missing_payment_method_is_rejected(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)

    response = checkout(shop, provider="")

    assert response.context["form"].errors["provider"] == ["Bitte wählen Sie eine Zahlungsart."]
    assert Order.objects.count() == 0


def test_foreign_cart_token_is_rejected(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)
    token = cart_token(shop)

    response = checkout(Client(), token=token)

    assert response.status_code == 302
    assert response.url == "/warenkorb/"
    assert Order.objects.count() == 0


def test_product_taken_offline_blocks_checkout(shop, product):
    ticket = product("tageskarte")
    add(shop, ticket, ADULT, 1)
    ticket.sold_portal = False
    ticket.save()

    cart_page = shop.get("/warenkorb/").content.decode()
    response = checkout(shop)

    assert "„Tageskarte Hallenbad“ wird hier nicht verkauft." in cart_page
    assert "Zur Kasse" not in cart_page
    assert response.status_code == 200
    assert Order.objects.count() == 0


def test_logged_in_checkout_uses_account_email(shop, product, django_user_model):
    shop.post(
        "/konto/anmelden/", {"email": "buerger@musterstadt.example", "password": "musterstadt"}
    )
    add(shop, product("tageskarte"), ADULT, 1)

    checkout(shop, email="jemand@example.de")

    order = Order.objects.get()
    assert order.email == "buerger@musterstadt.example"
    assert order.customer.username == "buerger@musterstadt.example"


# SQLite's shared in-memory test database locks whole tables and ignores the busy
# timeout, so concurrent writers fail there; the file database of production waits.
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a server database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_make_one_order(demo_epay, product_factory_tx):
    client = Client()
    ticket = product_factory_tx("tageskarte")
    add(client, ticket, ADULT, 1)
    token = cart_token(client)
    cookies = client.cookies
    results = []

    def submit():
        other = Client()
        other.cookies = cookies
        try:
            results.append(checkout(other, token=token).status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [302, 302, 302, 302]
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
