"""Fixtures of the payment tests: portal orders, staff users and confirmed payments."""

import pytest
from django.contrib.auth import get_user_model

from stadtkasse.core.roles import CASHIER, SUPERVISOR, TREASURY, group_name
from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment


@pytest.fixture
def demo_mode(settings):
    settings.DEMO = True


@pytest.fixture
def new_order(demo, product, demo_mode):
    """Check out a portal order of ``quantity`` adult day tickets (4,00 € each)."""

    def create(quantity: int = 1):
        cart = Cart.objects.create(municipality=demo)
        ticket = product("tageskarte")
        add_item(cart, LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, quantity))
        return checkout(cart, email="buerger@example.de")

    return create


@pytest.fixture
def order(new_order):
    return new_order(1)


def staff(username: str, role: str):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name(role)))
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def treasurer(demo):
    return staff("kaemmerei.test", TREASURY)


@pytest.fixture
def supervisor(demo):
    return staff("leitung.test", SUPERVISOR)


@pytest.fixture
def cashier(demo):
    return staff("kasse.test", CASHIER)


def pay_online(order, amount_cents: int | None = None) -> Payment:
    """Start a demo e-payment and confirm it as the provider's notification does."""
    payment, _url = start_online_payment(
        order,
        provider_id="demo",
        return_url="http://testserver/zurueck/__REF__/",
        notify_url="http://testserver/notify/",
    )
    return apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=order.total_cents if amount_cents is None else amount_cents,
        ),
        cause="notification from demo",
    )


def pay_by_transfer(order, amount_cents: int, iban: str = "DE02120300000000202051") -> Payment:
    """Book a bank transfer as the bank statement import does: a payment, then its result."""
    payment = Payment.objects.create(
        order=order, method=PaymentMethod.TRANSFER, amount_cents=amount_cents
    )
    return apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=amount_cents,
            data={"payer_iban": iban, "payer_name": "Erika Mustermann"},
        ),
        cause="bank statement line",
    )


@pytest.fixture
def sell_at_counter(pool_till, pool_cashier, product):
    """Sell one adult day ticket (4,00 €) at the pool till, paid by ``method``."""
    from stadtkasse.counter.services import sell

    def sale(method: str):
        ticket = product("tageskarte")
        return sell(
            pool_till,
            pool_cashier,
            [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1)],
            method=method,
            tendered_cents=400 if method == PaymentMethod.CASH else None,
        )

    return sale
