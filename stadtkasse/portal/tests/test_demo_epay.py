from urllib.parse import parse_qs, urlsplit

import pytest

from stadtkasse.payments.models import Payment
from stadtkasse.payments.providers.demo import verify
from stadtkasse.portal.tests.conftest import add, checkout
from stadtkasse_dev.epay import views as epay


@pytest.fixture
def sent(monkeypatch):
    """Record the notifications the platform sends instead of sending them over HTTP."""
    calls = []
    monkeypatch.setattr(epay, "notify", lambda url, result: calls.append((url, result)))
    return calls


def platform_url(shop, product):
    add(shop, product("tageskarte"), "Erwachsene", 1)
    return checkout(shop).url


def form_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_platform_page_shows_amount_and_buttons(shop, product):
    html = shop.get(platform_url(shop, product)).content.decode()

    assert "Demo-Bezahldienst" in html
    assert "4,00\u00a0€" in html
    assert "Bezahlen" in html
    assert "Abbrechen" in html
    assert "Zahlung fehlschlagen lassen" in html


def test_platform_rejects_tampered_request(shop, product):
    url = platform_url(shop, product).replace("amount=400", "amount=1")

    response = shop.get(url)

    assert response.status_code == 400


def test_pay_button_notifies_and_returns_signed(shop, product, sent):
    url = platform_url(shop, product)
    payment = Payment.objects.get()

    response = shop.post("/dev/epay/pay/", {**form_of(url), "action": "pay"})

    back = urlsplit(response.url)
    params = {key: values[0] for key, values in parse_qs(back.query).items()}
    assert back.path == f"/zahlung/{payment.reference}/zurueck/"
    assert params["status"] == "paid"
    assert verify(params)
    assert sent[0][0] == "http://testserver/zahlung/benachrichtigung/demo/"
    assert sent[0][1]["status"] == "paid"


def test_back_button_shows_finished_payment(shop, product, sent):
    url = platform_url(shop, product)
    shop.post("/dev/epay/pay/", {**form_of(url), "action": "cancel"})

    html = shop.get(url).content.decode()
    again = shop.post("/dev/epay/pay/", {**form_of(url), "action": "pay"})

    assert "bereits abgeschlossen (abgebrochen)" in html
    assert "status=canceled" in again.url


def test_failed_notification_is_not_fatal(shop, product, caplog):
    url = platform_url(shop, product)

    response = shop.post("/dev/epay/pay/", {**form_of(url), "action": "fail"})

    assert response.status_code == 302
    assert "status=failed" in response.url


def test_notify_posts_signed_json_over_http(live_server, product_factory_tx, demo_epay, client):
    add(client, product_factory_tx("tageskarte"), "Erwachsene", 1)
    checkout(client)
    payment = Payment.objects.get()
    result = epay._result(
        {"reference": str(payment.reference), "amount": str(payment.amount_cents)}, "paid"
    )

    delivered = epay.notify(f"{live_server.url}/zahlung/benachrichtigung/demo/", result)

    payment.refresh_from_db()
    assert delivered is True
    assert payment.state == "confirmed"
