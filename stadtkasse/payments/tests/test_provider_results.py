import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Cart, OrderState
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.orders.services import expire_overdue_orders
from stadtkasse.payments.models import ClarificationReason, Payment, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import (
    UnknownPayment,
    apply_provider_result,
    start_online_payment,
)


@pytest.fixture
def demo_mode(settings):
    settings.DEMO = True


@pytest.fixture
def order(demo, product, demo_mode):
    cart = Cart.objects.create(municipality=demo)
    ticket = product("tageskarte")
    add_item(cart, LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1))
    return checkout(cart, email="buerger@example.de")


def start(order):
    payment, url = start_online_payment(
        order,
        provider_id="demo",
        return_url="http://testserver/zurueck/__REF__/",
        notify_url="http://testserver/notify/",
    )
    return payment, url


def report(payment, state, amount=None):
    return ProviderResult(
        payment_reference=str(payment.reference),
        state=state,
        provider_reference="tx-1",
        amount_cents=payment.amount_cents if amount is None else amount,
    )


def test_redirect_url_carries_reference(order):
    payment, url = start(order)

    assert url.startswith("/dev/epay/pay/?")
    assert f"reference={payment.reference}" in url
    assert f"zurueck%2F{payment.reference}" in url
    assert payment.state == PaymentState.PENDING


def test_confirmation_marks_order_paid(order):
    payment, _url = start(order)

    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notification")

    order.refresh_from_db()
    assert order.state == OrderState.PAID
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    assert payment.needs_clarification is False


def test_repeated_confirmation_has_effect_of_one(order):
    payment, _url = start(order)

    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notification")
    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="return")

    assert Payment.objects.filter(state=PaymentState.CONFIRMED).count() == 1
    assert payment.events.filter(cause="return (repeated, no change)").count() == 1
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_cancel_after_confirmation_recorded_not_applied(order):
    payment, _url = start(order)
    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notification")

    apply_provider_result(report(payment, PaymentState.CANCELED), cause="late cancel")

    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    event = payment.events.last()
    assert event.cause == "late cancel (out of order, ignored)"
    assert event.data == {"reported_state": "canceled"}


def test_payment_after_expiry_flagged(order):
    payment, _url = start(order)
    order.expires_at = timezone.now() - timedelta(minutes=1)
    order.save()
    assert expire_overdue_orders() == 1

    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notification")

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    assert payment.state == PaymentState.CONFIRMED
    assert payment.needs_clarification is True
    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE


def test_second_payment_for_paid_order_flagged(order):
    first, _url = start(order)
    # The citizen opened the payment twice in two tabs.
    second, _url = start(order)
    apply_provider_result(report(first, PaymentState.CONFIRMED), cause="notification")

    apply_provider_result(report(second, PaymentState.CONFIRMED), cause="notification")

    second.refresh_from_db()
    assert second.needs_clarification is True
    assert second.clarification_reason == ClarificationReason.ALREADY_PAID


def test_amount_below_total_flagged(order):
    payment, _url = start(order)

    apply_provider_result(report(payment, PaymentState.CONFIRMED, amount=1), cause="notification")

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert payment.clarification_reason == ClarificationReason.UNDERPAYMENT


def test_unknown_reference_raises(order):
    result = ProviderResult(payment_reference="not-a-uuid", state=PaymentState.CONFIRMED)

    with pytest.raises(UnknownPayment):
        apply_provider_result(result, cause="notification")


def test_paid_order_cannot_start_payment(order):
    payment, _url = start(order)
    apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notification")

    with pytest.raises(SaleError) as raised:
        start(order)

    assert raised.value.code == "order_not_payable"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_notifications_confirm_once(demo, product, demo_mode):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; SQLite serializes writers anyway")
    cart = Cart.objects.create(municipality=demo)
    ticket = product("abendkarte")
    add_item(cart, LineRequest(ticket.pk, None, 1))
    order = checkout(cart, email="buerger@example.de")
    payment, _url = start(order)
    errors = []

    def notify():
        try:
            for _ in range(10):
                apply_provider_result(report(payment, PaymentState.CONFIRMED), cause="notify")
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    assert (
        payment.events.filter(to_state=PaymentState.CONFIRMED)
        .exclude(from_state=PaymentState.CONFIRMED)
        .count()
        == 1
    )
    assert payment.events.count() == 1 + 160
