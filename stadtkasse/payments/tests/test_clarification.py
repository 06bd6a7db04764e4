from datetime import timedelta

import pytest
from django.utils import timezone

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import OrderState
from stadtkasse.orders.services import expire_overdue_orders, transition
from stadtkasse.payments.clarification import (
    accept_payment,
    assign_payment,
    clarification_queue,
    find_order,
    refund_flagged_payment,
)
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import ClarificationOutcome, ClarificationReason, RefundState
from stadtkasse.payments.services import open_amount_cents

from .conftest import pay_by_transfer, pay_online


def test_queue_lists_flagged_payments(demo, order):
    flagged = pay_by_transfer(order, 100)

    assert list(clarification_queue(demo)) == [flagged]


def test_accept_partial_leaves_rest_open(order, treasurer):
    payment = pay_by_transfer(order, 100)

    accept_payment(payment, user=treasurer, reason="Rest folgt")

    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.needs_clarification is False
    assert payment.clarification_outcome == ClarificationOutcome.ACCEPTED
    assert payment.clarified_by == treasurer
    assert order.state == OrderState.PENDING_PAYMENT
    assert open_amount_cents(order) == 300


def test_rest_after_accepted_partial_settles(order, treasurer):
    accept_payment(pay_by_transfer(order, 100), user=treasurer, reason="Rest folgt")

    rest = pay_by_transfer(order, 300)

    order.refresh_from_db()
    assert rest.needs_clarification is False
    assert order.state == OrderState.PAID


def test_accept_overpayment_pays_order(order, treasurer):
    payment = pay_by_transfer(order, 500)

    accept_payment(payment, user=treasurer, reason="Spende, mit Bürger:in geklärt")

    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert open_amount_cents(order) == -100


def test_accept_audited_with_reason(order, treasurer):
    payment = pay_by_transfer(order, 500)

    accept_payment(payment, user=treasurer, reason="Spende")

    entry = AuditLogEntry.objects.get(action="payment.clarification_accepted")
    assert entry.user == treasurer
    assert entry.data["reason"] == "Spende"
    assert entry.data["clarification_reason"] == ClarificationReason.OVERPAYMENT


def test_accept_late_payment_pays_expired_order(order, treasurer):
    order.expires_at = timezone.now() - timedelta(minutes=1)
    order.save()
    expire_overdue_orders()
    payment = pay_by_transfer(order, 400)
    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE

    accept_payment(payment, user=treasurer, reason="Leistung erbracht")

    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_accept_for_canceled_order_rejected(order, treasurer):
    transition(order, OrderState.CANCELED, cause="test")
    payment = pay_by_transfer(order, 400)

    with pytest.raises(PaymentError) as raised:
        accept_payment(payment, user=treasurer, reason="ok")

    assert raised.value.message == (
        f"Die Zahlung kann für den Auftrag {order.code} nicht angenommen werden, "
        "weil der Auftrag storniert ist. Bitte erstatten Sie die Zahlung oder ordnen Sie "
        "sie einem anderen Auftrag zu."
    )


def test_accept_twice_rejected(order, treasurer):
    payment = pay_by_transfer(order, 100)
    accept_payment(payment, user=treasurer, reason="Rest folgt")

    with pytest.raises(PaymentError) as raised:
        accept_payment(payment, user=treasurer, reason="Rest folgt")

    assert raised.value.code == "not_in_clarification"


def test_refund_surplus_settles_order(order, treasurer):
    payment = pay_by_transfer(order, 500)

    refund = refund_flagged_payment(
        payment, amount_cents=100, user=treasurer, reason="Zu viel überwiesen"
    )

    order.refresh_from_db()
    payment.refresh_from_db()
    assert refund.state == RefundState.PENDING
    assert payment.clarification_outcome == ClarificationOutcome.REFUNDED
    assert order.state == OrderState.PAID
    assert open_amount_cents(order) == 0


def test_refund_duplicate_payment_fully(order, treasurer):
    pay_online(order)
    second = pay_by_transfer(order, 400)
    assert second.clarification_reason == ClarificationReason.ALREADY_PAID

    refund = refund_flagged_payment(second, amount_cents=400, user=treasurer, reason="doppelt")

    assert refund.state == RefundState.PENDING
    assert open_amount_cents(order) == 0


def test_refund_too_high_message(order, treasurer):
    payment = pay_by_transfer(order, 500)

    with pytest.raises(PaymentError) as raised:
        refund_flagged_payment(payment, amount_cents=600, user=treasurer, reason="zu viel")

    assert raised.value.message == (
        "Der Betrag 6,00\u00a0€ ist zu hoch. Es können höchstens 5,00\u00a0€ erstattet werden."
    )


def test_assign_to_other_order_settles_it(order, new_order, treasurer):
    other = new_order(2)
    payment = pay_by_transfer(order, 800)
    assert payment.clarification_reason == ClarificationReason.OVERPAYMENT

    assign_payment(payment, target=other.code, user=treasurer, reason="falsches Kassenzeichen")

    payment.refresh_from_db()
    other.refresh_from_db()
    assert payment.order == other
    assert payment.needs_clarification is False
    assert payment.clarification_outcome == ClarificationOutcome.REASSIGNED
    assert other.state == OrderState.PAID


def test_assign_by_kassenzeichen(order, new_order, treasurer):
    other = new_order(2)
    payment = pay_by_transfer(order, 800)

    assign_payment(
        payment, target=other.kassenzeichen_display, user=treasurer, reason="Verwendungszweck"
    )

    payment.refresh_from_db()
    assert payment.order == other


def test_assign_flags_again_on_mismatch(order, new_order, treasurer):
    other = new_order(3)
    payment = pay_by_transfer(order, 800)

    assign_payment(payment, target=other.code, user=treasurer, reason="Zuordnung")

    payment.refresh_from_db()
    assert payment.needs_clarification is True
    assert payment.clarification_reason == ClarificationReason.UNDERPAYMENT


def test_assign_unknown_order_named(order, treasurer):
    payment = pay_by_transfer(order, 800)

    with pytest.raises(PaymentError) as raised:
        assign_payment(payment, target="XXXX9999", user=treasurer, reason="Zuordnung")

    assert raised.value.message == (
        "Es wurde kein Auftrag mit dem Code oder Kassenzeichen „XXXX9999“ gefunden. "
        "Bitte prüfen Sie den Auftragscode oder das Kassenzeichen."
    )


def test_assign_to_same_order_rejected(order, treasurer):
    payment = pay_by_transfer(order, 800)

    with pytest.raises(PaymentError) as raised:
        assign_payment(payment, target=order.code, user=treasurer, reason="Zuordnung")

    assert raised.value.code == "same_order"


def test_find_order_by_code_lower_case(demo, order):
    assert find_order(demo, order.code.lower()) == order


def test_cashier_may_not_clarify(order, cashier):
    payment = pay_by_transfer(order, 100)

    with pytest.raises(PaymentError) as raised:
        accept_payment(payment, user=cashier, reason="ok")

    assert raised.value.code == "clarify_not_allowed"
