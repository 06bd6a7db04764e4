from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import ClarificationReason, PaymentEvent, PaymentState
from stadtkasse.payments.services import open_amount_cents

from .conftest import pay_by_transfer, pay_online


def test_open_amount_of_unpaid_order(order):
    assert open_amount_cents(order) == 400


def test_exact_payment_settles_order(order):
    payment = pay_online(order)

    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert payment.needs_clarification is False
    assert open_amount_cents(order) == 0


def test_partial_payment_flagged_separately(order):
    payment = pay_by_transfer(order, 100)

    order.refresh_from_db()
    assert payment.clarification_reason == ClarificationReason.UNDERPAYMENT
    assert order.state == OrderState.PENDING_PAYMENT
    # A flagged payment does not count until it is cleared.
    assert open_amount_cents(order) == 400


def test_overpayment_flagged_separately(order):
    payment = pay_by_transfer(order, 500)

    order.refresh_from_db()
    assert payment.clarification_reason == ClarificationReason.OVERPAYMENT
    assert order.state == OrderState.PENDING_PAYMENT


def test_flag_recorded_as_event(order):
    payment = pay_by_transfer(order, 100)

    event = payment.events.last()
    assert event.cause == "needs clarification: underpayment"
    assert event.data["open_cents"] == 400


def test_transfer_event_keeps_payer_data(order):
    payment = pay_by_transfer(order, 400)

    confirmed = PaymentEvent.objects.get(payment=payment, to_state=PaymentState.CONFIRMED)
    assert confirmed.data == {
        "payer_iban": "DE02120300000000202051",
        "payer_name": "Erika Mustermann",
    }


def test_canceled_order_payment_flagged(order):
    from stadtkasse.orders.services import transition

    transition(order, OrderState.CANCELED, cause="test")

    payment = pay_by_transfer(order, 400)

    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE
