from django.test import Client

from stadtkasse.orders.models import Order
from stadtkasse.payments.models import Payment
from stadtkasse.portal.services.access import order_token
from stadtkasse.portal.tests.conftest import add, checkout, signed_result


def paid_order(shop, product):
    add(shop, product("tageskarte"), "Erwachsene", 1)
    add(shop, product("personalausweis"), geburtsdatum="17.04.1990")
    checkout(shop)
    payment = Payment.objects.get()
    shop.get(f"/zahlung/{payment.reference}/zurueck/", signed_result(payment, "paid"))
    return Order.objects.get()


def test_order_page_shows_details(shop, product):
    order = paid_order(shop, product)

    html = shop.get(f"/bestellung/{order.code}/").content.decode()

    assert order.kassenzeichen_display in html
    assert "Bezahlt" in html
    assert "Geburtsdatum der antragstellenden Person:" in html
    assert "17.04.1990" in html
    assert "46,00\u00a0€" in html
    assert "50,00\u00a0€" in html
    assert "Beleg als PDF" in html


def test_order_page_hidden_from_other_browsers(shop, product):
    order = paid_order(shop, product)

    response = Client().get(f"/bestellung/{order.code}/")

    assert response.status_code == 404
    assert order.kassenzeichen_display not in response.content.decode()


def test_signed_link_opens_order(shop, product):
    order = paid_order(shop, product)
    other = Client()

    response = other.get(f"/bestellung/{order.code}/", {"token": order_token(order)})
    receipt = other.get(f"/bestellung/{order.code}/beleg.pdf")

    assert response.status_code == 200
    assert receipt.status_code == 200


def test_wrong_token_is_refused(shop, product):
    order = paid_order(shop, product)

    response = Client().get(f"/bestellung/{order.code}/", {"token": "falsch"})

    assert response.status_code == 404


def test_receipt_pdf_of_paid_order(shop, product):
    order = paid_order(shop, product)

    response = shop.get(f"/bestellung/{order.code}/beleg.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_no_receipt_before_payment(shop, product):
    add(shop, product("tageskarte"), "Erwachsene", 1)
    checkout(shop)
    order = Order.objects.get()

    response = shop.get(f"/bestellung/{order.code}/beleg.pdf")

    assert response.status_code == 404
    assert (
        f"Der Beleg der Bestellung {order.code} steht bereit, sobald die Bestellung bezahlt ist."
    ) in response.content.decode()


def test_owner_sees_order_after_login(shop, product):
    shop.post(
        "/konto/anmelden/", {"email": "buerger@musterstadt.example", "password": "musterstadt"}
    )
    order = paid_order(shop, product)
    fresh = Client()
    fresh.post(
        "/konto/anmelden/", {"email": "buerger@musterstadt.example", "password": "musterstadt"}
    )

    assert fresh.get(f"/bestellung/{order.code}/").status_code == 200
