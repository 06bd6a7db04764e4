from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import (
    ClarificationReason,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundKind,
    RefundState,
)
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.refunds import Payee, record_chargeback, refund_payment
from stadtkasse.payments.services import apply_provider_result, open_amount_cents

from .conftest import pay_online


def collect_debit(order) -> Payment:
    payment = Payment.objects.create(
        order=order, method=PaymentMethod.SEPA_DEBIT, amount_cents=order.total_cents
    )
    return apply_provider_result(
        ProviderResult(str(payment.reference), PaymentState.CONFIRMED, amount_cents=400),
        cause="direct debit collected",
    )


def chargeback(payment, reference="STMT-1-7", amount=400):
    return record_chargeback(
        payment,
        amount_cents=amount,
        reason_code="MD06",
        fee_cents=300,
        reference=reference,
        cause="bank statement: returned debit",
    )


def test_chargeback_stored_done(order):
    payment = collect_debit(order)

    returned = chargeback(payment)

    assert returned.kind == RefundKind.CHARGEBACK
    assert returned.state == RefundState.DONE
    assert returned.reason_code == "MD06"
    assert returned.fee_cents == 300
    assert returned.method == PaymentMethod.SEPA_DEBIT


def test_chargeback_reopens_paid_order(order):
    payment = collect_debit(order)

    chargeback(payment)

    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert order.paid_at is None
    assert order.expires_at is None
    assert open_amount_cents(order) == 400


def test_chargeback_reopening_audited(order):
    from stadtkasse.core.models import AuditLogEntry

    chargeback(collect_debit(order))

    entry = AuditLogEntry.objects.filter(action="order.pending_payment").last()
    assert entry.data == {
        "from": "paid",
        "cause": "direct debit returned (MD06)",
        "correction": True,
    }


def test_same_chargeback_twice_has_effect_of_once(order):
    payment = collect_debit(order)

    first = chargeback(payment)
    second = chargeback(payment)

    assert first.pk == second.pk
    assert Refund.objects.count() == 1


def test_reopened_order_paid_again(order):
    chargeback(collect_debit(order))
    order.refresh_from_db()

    second = collect_debit(order)

    order.refresh_from_db()
    assert second.needs_clarification is False
    assert order.state == OrderState.PAID


def test_chargeback_after_refund_flagged(order, treasurer):
    payment = collect_debit(order)
    refund_payment(
        payment,
        amount_cents=400,
        reason="Doppelt gezahlt",
        user=treasurer,
        payee=Payee("Erika Mustermann", "DE02120300000000202051"),
    )

    chargeback(payment)

    payment.refresh_from_db()
    assert payment.needs_clarification is True
    assert payment.clarification_reason == ClarificationReason.CHARGEBACK_EXCEEDS


def test_partial_chargeback_reopens_rest(order):
    payment = collect_debit(order)

    chargeback(payment, amount=100)

    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert open_amount_cents(order) == 100


def test_chargeback_of_online_payment_keeps_method(order):
    returned = chargeback(pay_online(order), reference="STMT-2-1")

    assert returned.method == PaymentMethod.EPAY
