"""Fixtures of the back office tests: staff clients and real orders from every channel."""

import pytest
from django.test import Client

from stadtkasse.counter.services import sell
from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart, Order
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash the demo passwords with a fast hasher; the tests do not check password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login(demo):
    """Return a test client signed in as a demo account."""

    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(_user(username))
        return client

    return signed_in


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def variant(product, name: str):
    return product.variants.get(name=name)


@pytest.fixture
def office_cashier(demo):
    return _user("kasse.buergerbuero")


@pytest.fixture
def sell_at_pool(pool_till, pool_cashier, product):
    """Sell day tickets at the pool till: ``quantity`` adults, paid by ``method``."""

    def sale(
        quantity: int = 1,
        method: str = PaymentMethod.CASH,
        slug: str = "tageskarte",
        variant_name: str = "Erwachsene",
    ) -> Order:
        ticket = product(slug)
        return sell(
            pool_till,
            pool_cashier,
            [LineRequest(ticket.pk, variant(ticket, variant_name).pk, quantity)],
            method=method,
        )

    return sale


@pytest.fixture
def portal_order(demo, product):
    """Check out a portal cart; ``pay`` confirms an online payment through the demo provider."""

    def order(items: list[tuple[str, str | None, int, dict]], *, pay: bool = True) -> Order:
        cart = Cart.objects.create(municipality=demo)
        for slug, variant_name, quantity, answers in items:
            item = product(slug)
            variant_id = variant(item, variant_name).pk if variant_name else None
            add_item(cart, LineRequest(item.pk, variant_id, quantity, answers))
        placed = checkout(cart, email="buerger@musterstadt.example")
        if pay:
            pay_online(placed)
            placed.refresh_from_db()
        return placed

    return order


def pay_online(order: Order, amount_cents: int | None = None):
    """Start and confirm an online payment of an order, as the provider's notification does."""
    payment, _url = start_online_payment(
        order,
        provider_id="demo",
        return_url="http://127.0.0.1/return/__REF__",
        notify_url="http://127.0.0.1/notify/",
    )
    return apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=order.total_cents if amount_cents is None else amount_cents,
        ),
        cause="notification from the demo provider",
    )


@pytest.fixture
def mixed_orders(demo, sell_at_pool, office_counter, office_cashier, product, portal_order):
    """Four paid orders on the counter and the portal, and one portal order still unpaid."""
    pool_cash = sell_at_pool(2, PaymentMethod.CASH)  # 8,00 € at 7 %
    pool_card = sell_at_pool(1, PaymentMethod.CARD_EXTERNAL, "zehnerkarte")  # 35,00 € at 7 %
    photo, certificate = product("passfoto"), product("meldebescheinigung")
    office_cash = sell(
        office_counter,
        office_cashier,
        [LineRequest(photo.pk, None, 1), LineRequest(certificate.pk, None, 1)],
        method=PaymentMethod.CASH,
        tendered_cents=2000,
    )  # 6,00 € at 19 % and 5,00 € outside the scope of VAT
    online = portal_order(
        [("meldebescheinigung", None, 1, {}), ("tageskarte", "Familie", 1, {})]
    )  # 5,00 € and 9,00 € at 7 %
    unpaid = portal_order([("fuehrungszeugnis", None, 1, {})], pay=False)  # 13,00 €
    return {
        "pool_cash": pool_cash,
        "pool_card": pool_card,
        "office_cash": office_cash,
        "online": online,
        "unpaid": unpaid,
    }
