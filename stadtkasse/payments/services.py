"""Payment services: start, confirm and record payments, idempotently, and settle orders.

An order's open amount is its total minus what its counted payments brought in. A
confirmed payment counts unless it waits for clarification. What it brought in is its
amount minus those of its refunds and returned debits that have not failed. An order becomes paid
when a confirmed payment matches the open amount exactly. A payment that does not match,
or that arrives for an order that is paid, expired or canceled, is kept and flagged for
clarification by the treasury (stadtkasse.payments.clarification).

Refunds and returned debits live in stadtkasse.payments.refunds; their services can be
imported from here as well.

Locking rule: a change to a payment first locks the payment row, then the order row, in
that order everywhere, so that two notifications for one payment run one after the
other and cannot deadlock. On SQLite the IMMEDIATE transaction holds the database write
lock instead.
"""

import logging
import uuid

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from stadtkasse.core.money import format_cents
from stadtkasse.core.services import audit
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import transition as transition_order
from stadtkasse.payments.models import (
    PAYMENT_TRANSITIONS,
    ClarificationReason,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundState,
)
from stadtkasse.payments.providers import get_provider
from stadtkasse.payments.providers.base import ProviderResult

logger = logging.getLogger(__name__)

PAYABLE_STATES = (OrderState.OPEN, OrderState.PENDING_PAYMENT)
# Change of this amount or more is taken as a typing error. The largest euro banknote is
# 500 €, so a customer never needs to hand over that much above the total. The till checks
# the same limit before it sends a sale.
CASH_MAX_CHANGE_CENTS = 50000


class UnknownPayment(Exception):
    """A provider reported a payment reference that Stadtkasse never issued."""


def _require_payable(order: Order) -> None:
    if order.state not in PAYABLE_STATES:
        raise SaleError("order_not_payable", code=order.code, state=order.get_state_display())


def _event(payment: Payment, from_state: str, to_state: str, cause: str, **data) -> None:
    PaymentEvent.objects.create(
        payment=payment, from_state=from_state, to_state=to_state, cause=cause, data=data
    )


def start_online_payment(
    order: Order, *, provider_id: str, return_url: str, notify_url: str
) -> tuple[Payment, str]:
    """Create a pending payment at a provider; return it with the address for the citizen."""
    provider = get_provider(provider_id)

    with transaction.atomic():
        # Read the state under the lock: the caller's copy may be older than a payment
        # that arrived in the meantime.
        order = Order.objects.select_for_update().select_related("municipality").get(pk=order.pk)
        _require_payable(order)
        # After an accepted partial payment only the rest is asked for.
        payment = Payment.objects.create(
            order=order,
            method=provider.method,
            provider=provider.identifier,
            amount_cents=open_amount_cents(order),
            state=PaymentState.PENDING,
        )
        _event(payment, PaymentState.CREATED, PaymentState.PENDING, "redirect to provider")
        redirect = provider.initiate(
            payment,
            return_url=return_url.replace("__REF__", str(payment.reference)),
            notify_url=notify_url,
        )
        if redirect.provider_reference:
            payment.provider_reference = redirect.provider_reference
            payment.save(update_fields=["provider_reference"])

    logger.info(
        "online payment started: order=%s payment=%s provider=%s",
        order.code,
        payment.reference,
        provider.identifier,
    )
    return payment, redirect.url


def apply_provider_result(result: ProviderResult, *, cause: str) -> Payment:
    """Apply a state reported by a provider; the same report twice has the effect of once.

    A report that contradicts a final state (a cancellation after a confirmation) is
    stored as an event and changes nothing. A confirmation for an order that can no
    longer be paid, was paid already, or has another total is kept and flagged for
    clarification by the treasury.
    """
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("order")
            .filter(reference=_uuid_or_none(result.payment_reference))
            .first()
        )
        if payment is None:
            raise UnknownPayment(result.payment_reference)

        old_state = payment.state
        if result.state == old_state:
            _event(payment, old_state, old_state, f"{cause} (repeated, no change)")
            return payment
        if result.state not in PAYMENT_TRANSITIONS[PaymentState(old_state)]:
            _event(
                payment,
                old_state,
                old_state,
                f"{cause} (out of order, ignored)",
                reported_state=result.state,
            )
            logger.warning(
                "payment %s: reported %s while %s; ignored and recorded",
                payment.reference,
                result.state,
                old_state,
            )
            return payment

        payment.state = result.state
        if result.provider_reference:
            payment.provider_reference = result.provider_reference
        if result.state == PaymentState.CONFIRMED:
            payment.confirmed_at = timezone.now()
            if result.amount_cents is not None:
                payment.amount_cents = result.amount_cents
        payment.save()
        # The event is the payment's history; the audit log gets the order's transition.
        _event(payment, old_state, result.state, cause, **result.data)

        if result.state == PaymentState.CONFIRMED:
            _settle_order(payment)
    return payment


def counted_payments(order: Order):
    """Return the confirmed payments of an order that do not wait for clarification."""
    return Payment.objects.filter(
        order_id=order.pk, state=PaymentState.CONFIRMED, needs_clarification=False
    )


def paid_cents(order: Order, *, exclude: Payment | None = None) -> int:
    """Return what the counted payments of an order brought in, less refunds and returned debits."""
    payments = counted_payments(order)
    if exclude is not None:
        payments = payments.exclude(pk=exclude.pk)
    received = payments.aggregate(total=Sum("amount_cents"))["total"] or 0
    returned = (
        Refund.objects.filter(payment__in=payments)
        .exclude(state=RefundState.FAILED)
        .aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    return received - returned


def open_amount_cents(order: Order, *, exclude: Payment | None = None) -> int:
    """Return what is still to pay for an order; negative where it was overpaid."""
    return order.total_cents - paid_cents(order, exclude=exclude)


def _settle_order(payment: Payment) -> None:
    """Mark the order paid by a confirmed payment, or flag the payment for clarification.

    The caller holds the payment's row lock; this locks the order row.
    """
    order = (
        Order.objects.select_for_update().select_related("municipality").get(pk=payment.order_id)
    )
    payment.order = order

    reason = ""
    open_cents = None
    if order.state == OrderState.PAID:
        reason = ClarificationReason.ALREADY_PAID
    elif order.state not in PAYABLE_STATES:
        reason = ClarificationReason.ORDER_NOT_PAYABLE
    else:
        open_cents = open_amount_cents(order, exclude=payment)
        if payment.amount_cents < open_cents:
            reason = ClarificationReason.UNDERPAYMENT
        elif payment.amount_cents > open_cents:
            reason = ClarificationReason.OVERPAYMENT

    if reason:
        flag_for_clarification(payment, reason, open_cents=open_cents)
        return
    transition_order(order, OrderState.PAID, cause=f"payment {payment.reference} confirmed")


def flag_for_clarification(payment: Payment, reason: str, *, open_cents: int | None = None) -> None:
    """Put a confirmed payment into the treasury's clarification queue; it stops counting."""
    order = payment.order
    Payment.objects.filter(pk=payment.pk).update(
        needs_clarification=True, clarification_reason=reason, clarification_outcome=""
    )
    payment.needs_clarification = True
    payment.clarification_reason = reason
    payment.clarification_outcome = ""
    data = {"reason": reason, "order": order.code, "amount_cents": payment.amount_cents}
    if open_cents is not None:
        data["open_cents"] = open_cents
    _event(payment, payment.state, payment.state, f"needs clarification: {reason}", **data)
    audit("payment.needs_clarification", payment, municipality=order.municipality, data=data)
    logger.warning(
        "payment %s for order %s needs clarification: %s",
        payment.reference,
        order.code,
        reason,
    )


def cancel_pending_payment(payment: Payment, *, cause: str) -> None:
    """Cancel a payment the citizen abandoned; the order can then be paid again."""
    apply_provider_result(
        ProviderResult(payment_reference=str(payment.reference), state=PaymentState.CANCELED),
        cause=cause,
    )


def check_cash_tendered(tendered_cents: int, total_cents: int) -> None:
    """Raise SaleError where the cash given is below the total or implausibly high."""
    if tendered_cents < total_cents:
        raise SaleError("cash_too_low", given=_euros(tendered_cents), total=_euros(total_cents))
    if tendered_cents - total_cents >= CASH_MAX_CHANGE_CENTS:
        raise SaleError("cash_too_high", given=_euros(tendered_cents), total=_euros(total_cents))


def record_cash_payment(order: Order, *, tendered_cents: int, cashier=None) -> Payment:
    """Record cash taken at the counter, with the amount given and the change."""
    _require_payable(order)
    check_cash_tendered(tendered_cents, order.total_cents)
    return _record_on_site(
        order,
        PaymentMethod.CASH,
        cashier,
        tendered_cents=tendered_cents,
        change_cents=tendered_cents - order.total_cents,
    )


def record_external_card_payment(order: Order, *, cashier=None) -> Payment:
    """Record a card payment that the cashier confirmed on a stand-alone terminal."""
    _require_payable(order)
    return _record_on_site(order, PaymentMethod.CARD_EXTERNAL, cashier)


def _record_on_site(order: Order, method: str, cashier, **amounts) -> Payment:
    with transaction.atomic(savepoint=False):
        payment = Payment.objects.create(
            order=order,
            method=method,
            amount_cents=order.total_cents,
            state=PaymentState.CONFIRMED,
            confirmed_at=timezone.now(),
            **amounts,
        )
        _event(payment, PaymentState.CREATED, PaymentState.CONFIRMED, f"{method} at the counter")
        if not transition_order(order, OrderState.PAID, cause=f"{method} payment", user=cashier):
            raise SaleError("order_not_payable", code=order.code, state=order.get_state_display())
    return payment


def _euros(cents: int) -> str:
    return format_cents(cents)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Refund services live in their own module, which imports this one. They are handed out
# here on first access, so that callers can import every payment service from one place.
_REFUND_SERVICES = {
    "refund_payment",
    "refund_order",
    "record_chargeback",
    "mark_refunds_sent",
    "complete_refund",
    "fail_refund",
    "Payee",
}


def __getattr__(name: str):
    if name in _REFUND_SERVICES:
        from stadtkasse.payments import refunds

        return getattr(refunds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
