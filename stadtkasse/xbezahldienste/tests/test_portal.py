"""The citizen's way through the portal with an XBezahldienste platform."""

import re
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import modify_settings

from stadtkasse.orders.models import Order
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.xbezahldienste.client import TOKENS
from stadtkasse.xbezahldienste.demo import load_demo_platform
from stadtkasse.xbezahldienste.tests.conftest import control, pay_on_page
from stadtkasse_dev.xbezahldienste import views as stub_views


def add_day_ticket(client, product):
    ticket = product("tageskarte")
    client.post(
        f"/leistung/{ticket.slug}/",
        {"quantity": "2", "variant": str(ticket.variants.get(name="Erwachsene").pk)},
    )


def place_order(client, product):
    add_day_ticket(client, product)
    return client.post(
        "/bestellen/",
        {
            "email": "gast@example.de",
            "provider": "xbezahldienste",
            "cart": client.session["portal_cart"],
        },
    )


def last_message(response) -> str:
    """The message the page shows last; adding to the cart leaves one before it."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def test_checkout_offers_the_platform(client, platform, product):
    add_day_ticket(client, product)

    page = client.get("/bestellen/").content.decode()

    assert 'value="xbezahldienste"' in page
    assert "Online bezahlen (Testplattform)" in page


def test_pay_on_platform_and_return(client, platform, stub, product):
    response = place_order(client, product)
    assert response.url.startswith(stub.base_url + "paypage/")

    back = pay_on_page(response.url)
    returned = client.get(urlsplit(back).path)

    order = Order.objects.get()
    assert order.is_paid
    assert returned.url == order.get_absolute_url()
    assert last_message(returned) == (
        f"Vielen Dank, Ihre Zahlung ist eingegangen. Die Bestellung {order.code} ist bezahlt. "
        "Die Bestätigung mit dem Beleg ist unterwegs an Ihre E-Mail-Adresse."
    )


def test_cancel_on_platform_and_return(client, platform, product):
    response = place_order(client, product)

    back = pay_on_page(response.url, "cancel")
    client.get(urlsplit(back).path)

    assert Payment.objects.get().state == PaymentState.CANCELED
    assert not Order.objects.get().is_paid


def test_return_while_platform_down_changes_nothing(client, platform, stub, product):
    response = place_order(client, product)
    back = pay_on_page(response.url)
    control(stub, faults=[{"path": "paymenttransaction", "method": "GET", "status": 503}])

    returned = client.get(urlsplit(back).path)

    order = Order.objects.get()
    assert Payment.objects.get().state == PaymentState.PENDING
    assert last_message(returned) == (
        f"Das Ergebnis Ihrer Zahlung für die Bestellung {order.code} liegt noch nicht vor. "
        "Bitte laden Sie diese Seite in einer Minute neu. Es wird nichts doppelt abgebucht."
    )


def test_platform_error_shows_safe_message(client, platform, stub, product):
    control(
        stub,
        faults=[
            {
                "path": "paymenttransaction",
                "status": 422,
                "title": "Unprocessable Content",
                "functionalCode": "BOOKING_DATA_MISSING",
                "detail": "Sachkonto 441100 unbekannt",
            }
        ],
    )

    response = place_order(client, product)

    order = Order.objects.get()
    assert response.url == order.get_absolute_url()
    assert last_message(response) == (
        "Der Bezahldienst ist nicht erreichbar, die Zahlung für die Bestellung "
        f"{order.code} wurde daher nicht gestartet. Bitte versuchen Sie es in einigen Minuten "
        "erneut."
    )


@pytest.fixture
def demo_stub(settings, live_server, tmp_path):
    """The demo's set-up: the stub under this server's /dev/xbezahldienste/."""
    settings.DEMO = True
    settings.ROOT_URLCONF = "stadtkasse.xbezahldienste.tests.demo_urls"
    settings.XBEZAHLDIENSTE_LOCAL_ORIGIN = live_server.url
    settings.XBEZAHLDIENSTE_STUB_STORE = tmp_path / "stub.sqlite3"
    settings.XBEZAHLDIENSTE_DEMO_CLIENT_SECRET = "demo-geheim"
    stub_views.platform.cache_clear()
    TOKENS.clear()
    with modify_settings(INSTALLED_APPS={"append": "stadtkasse_dev.xbezahldienste"}):
        yield live_server
    stub_views.platform.cache_clear()
    TOKENS.clear()


@pytest.mark.django_db(transaction=True)
def test_demo_platform_under_same_server(demo_stub, client, monkeypatch):
    from stadtkasse.backoffice.demo import load_demo
    from stadtkasse.catalog.models import Product

    monkeypatch.setenv("XBEZAHLDIENSTE_DEMO_CLIENT_SECRET", "demo-geheim")
    town = load_demo()
    platform = town.epayment_platforms.get()
    response = place_order(client, lambda slug: Product.objects.get(slug=slug))
    page_url = response.url
    with urllib.request.urlopen(page_url, timeout=5) as response:
        page = response.read().decode()

    back = pay_on_page(page_url)
    client.get(urlsplit(back).path)

    assert platform.base_url == "/dev/xbezahldienste/"
    assert page_url.startswith(f"{demo_stub.url}/dev/xbezahldienste/paypage/XBD-")
    assert re.search(r"<title>XBezahldienste-Testplattform</title>", page)
    assert "/static/dev_xbezahldienste/stub.css" in page
    assert Order.objects.get().is_paid


def test_demo_loader_adds_platform_only_in_demo(db, settings):
    from stadtkasse.core.models import Municipality

    town = Municipality.objects.create(slug="beispiel", name="Beispiel")
    settings.DEMO = False

    assert load_demo_platform(town) is None
