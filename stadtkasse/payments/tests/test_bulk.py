import pytest

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.counter.services import sell
from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart, OrderState
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.bulk import Credit, confirm_credits
from stadtkasse.payments.models import PaymentMethod, PaymentState


@pytest.fixture
def open_order(demo, product):
    def make(slug="abendkarte", quantity=1):
        cart = Cart.objects.create(municipality=demo)
        add_item(cart, LineRequest(product(slug).pk, None, quantity))
        return checkout(cart, email="buerger@example.de")

    return make


def test_exact_credit_pays_order(open_order):
    order = open_order()

    result = confirm_credits(
        [Credit("line-1", order.pk, order.total_cents, "BANKREF1", {"payer_name": "Muster"})],
        provider="bank",
        cause="bank statement",
    )

    order.refresh_from_db()
    payment = result["line-1"]
    assert order.state == OrderState.PAID
    assert payment.state == PaymentState.CONFIRMED
    assert payment.method == PaymentMethod.TRANSFER
    assert payment.provider_reference == "BANKREF1"
    assert payment.events.get().data == {"payer_name": "Muster"}
    assert AuditLogEntry.objects.filter(action="order.paid", object_id=str(order.pk)).count() == 1


@pytest.mark.parametrize("amount_offset", [-1, 1])
def test_inexact_credit_left_to_single_path(open_order, amount_offset):
    order = open_order()

    result = confirm_credits(
        [Credit("line-1", order.pk, order.total_cents + amount_offset)],
        provider="bank",
        cause="bank statement",
    )

    order.refresh_from_db()
    assert result == {}
    assert order.state == OrderState.PENDING_PAYMENT


def test_second_credit_for_same_order_left_out(open_order):
    order = open_order()
    credits = [Credit(key, order.pk, order.total_cents) for key in ("a", "b")]

    result = confirm_credits(credits, provider="bank", cause="bank statement")

    assert set(result) == {"a"}


def test_paid_order_left_out(pool_till, pool_cashier, product):
    ticket = product("abendkarte")
    order = sell(pool_till, pool_cashier, [LineRequest(ticket.pk, None, 1)], method="cash")

    result = confirm_credits(
        [Credit("x", order.pk, order.total_cents)], provider="bank", cause="bank statement"
    )

    assert result == {}
    assert order.payments.count() == 1
