"""Fixtures of the XBezahldienste tests: the platform stub on a real TCP port of 127.0.0.1."""

import json
import re
import urllib.error
import urllib.request

import pytest

from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.services import start_online_payment
from stadtkasse.xbezahldienste.client import TOKENS
from stadtkasse.xbezahldienste.models import PlatformConfig
from stadtkasse_dev.xbezahldienste.server import start as start_stub

CLIENT_ID = "stadtkasse"
CLIENT_SECRET = "geheim-fuer-tests"
SECRET_VARIABLE = "XBD_TEST_CLIENT_SECRET"


@pytest.fixture
def stub(tmp_path):
    """The platform stub with one OAuth2 client, in a thread of this process."""
    server = start_stub(
        store_path=str(tmp_path / "stub.sqlite3"), clients={CLIENT_ID: CLIENT_SECRET}
    )
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def platform(demo, stub, monkeypatch):
    """The demo town's platform configuration, pointing at the stub, with OAuth2."""
    monkeypatch.setenv(SECRET_VARIABLE, CLIENT_SECRET)
    TOKENS.clear()
    yield PlatformConfig.objects.create(
        municipality=demo,
        name="Teststub",
        display_name="Online bezahlen (Testplattform)",
        base_url=stub.base_url,
        originator_id="musterstadt-portal",
        endpoint_id="musterstadt",
        token_url=stub.base_url + "oauth/token",
        client_id=CLIENT_ID,
        client_secret_env=SECRET_VARIABLE,
        timeout_seconds=5,
    )
    TOKENS.clear()


@pytest.fixture
def order(demo, product):
    """A portal order of two lines: two adult day tickets and an evening ticket."""
    cart = Cart.objects.create(municipality=demo)
    day, evening = product("tageskarte"), product("abendkarte")
    add_item(cart, LineRequest(day.pk, day.variants.get(name="Erwachsene").pk, 2))
    add_item(cart, LineRequest(evening.pk, evening.variants.get(name="Erwachsene").pk, 1))
    return checkout(cart, email="buerger@example.de")


def start(order):
    return start_online_payment(
        order,
        provider_id="xbezahldienste",
        return_url="http://testserver/zahlung/__REF__/zurueck/",
        notify_url="http://testserver/zahlung/benachrichtigung/xbezahldienste/",
    )


def control(server, **orders) -> None:
    """Order errors or delays from the stub."""
    request = urllib.request.Request(
        server.base_url + "_control",
        data=json.dumps(orders).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def pay_on_page(page_url: str, action: str = "pay") -> str:
    """Press a button on the stub's payment page as a citizen; return where it sends them."""
    with urllib.request.urlopen(page_url, timeout=5) as response:
        page = response.read().decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    opener = urllib.request.build_opener(_KeepRedirect())
    request = urllib.request.Request(
        page_url, data=f"token={token}&action={action}".encode(), method="POST"
    )
    try:
        opener.open(request, timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 303
        return error.headers["Location"]
    raise AssertionError("the payment page did not redirect")
