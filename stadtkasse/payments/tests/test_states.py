"""Every payment state transition, repeated and out-of-order reports."""

import pytest

from stadtkasse.payments.models import PAYMENT_TRANSITIONS, Payment, PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result

ALL_STATES = [state.value for state in PaymentState]


def report(payment, state, cause="test"):
    return apply_provider_result(
        ProviderResult(payment_reference=str(payment.reference), state=state), cause=cause
    )


def payment_in(order, state):
    payment = Payment.objects.create(
        order=order, method=PaymentMethod.TRANSFER, amount_cents=order.total_cents
    )
    if state == PaymentState.CREATED:
        return payment
    if state != PaymentState.PENDING and state in PAYMENT_TRANSITIONS[PaymentState.CREATED]:
        return report(payment, state)
    return report(payment, PaymentState.PENDING)


@pytest.mark.parametrize("start", ALL_STATES)
@pytest.mark.parametrize("target", ALL_STATES)
def test_payment_transition(order, start, target):
    payment = payment_in(order, start)
    assert payment.state == start
    events_before = payment.events.count()

    payment = report(payment, target, cause="provider report")

    allowed = target in PAYMENT_TRANSITIONS[PaymentState(start)]
    expected_state = target if allowed else start
    assert payment.state == expected_state
    event = payment.events.filter(cause__startswith="provider report").last()
    assert payment.events.count() > events_before
    if allowed:
        assert (event.from_state, event.to_state) == (start, target)
    elif target == start:
        assert event.cause == "provider report (repeated, no change)"
    else:
        assert event.cause == "provider report (out of order, ignored)"


def test_confirmed_payment_never_edited(order):
    payment = payment_in(order, PaymentState.CONFIRMED)

    report(payment, PaymentState.FAILED, cause="late failure")

    payment.refresh_from_db()
    assert payment.state == PaymentState.CONFIRMED
    assert payment.amount_cents == order.total_cents
