"""The clarification queue: the treasury decides about payments that did not settle an order.

A payment lands in the queue when it was confirmed for an order that is paid, expired or
canceled, or with an amount other than the open amount. While it waits, it does not
count for its order. Three decisions clear it, each stored as a payment event and in
the audit log with the user and the reason:

- accept: the payment counts as it is. A partial payment leaves the rest open; an
  overpayment makes the order paid with the surplus noted. An expired order becomes
  paid where the payment covers it.
- refund: all or part of the payment goes back (see refunds.py); what is left counts.
- assign: the payment moves to another order and settles it under the usual rules, so
  it may land in the queue again with a new reason.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.models import Municipality
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import transition as transition_order
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import ClarificationOutcome, Payment, PaymentEvent, Refund
from stadtkasse.payments.refunds import Payee, refund_payment
from stadtkasse.payments.services import PAYABLE_STATES, _settle_order, open_amount_cents

logger = logging.getLogger(__name__)

CLARIFY_PERMISSION = "payments.clarify_payment"


def clarification_queue(municipality: Municipality):
    """Return the payments of a municipality that wait for clarification, oldest first."""
    return (
        Payment.objects.filter(order__municipality=municipality, needs_clarification=True)
        .select_related("order")
        .prefetch_related("events", "refunds")
        .order_by("confirmed_at", "pk")
    )


def find_order(municipality: Municipality, text: str) -> Order:
    """Find an order by its code or Kassenzeichen; raise PaymentError where none matches."""
    value = (text or "").strip()
    digits = kz.normalize(value)
    query = Q(code=value.upper())
    if digits:
        query |= Q(kassenzeichen=digits)
    order = Order.objects.filter(query, municipality=municipality).first() if value else None
    if order is None:
        raise PaymentError("unknown_order", value=value)
    return order


def accept_payment(payment: Payment, *, user, reason: str) -> Payment:
    """Let a payment in the queue count for its order as it is."""
    _require_permission(user)
    reason = _require_reason(reason)

    with transaction.atomic():
        payment = _locked_flagged(payment)
        order = (
            Order.objects.select_for_update()
            .select_related("municipality")
            .get(pk=payment.order_id)
        )
        open_cents = open_amount_cents(order, exclude=payment)
        covered = payment.amount_cents >= open_cents
        if order.state == OrderState.CANCELED or (
            order.state == OrderState.EXPIRED and not covered
        ):
            raise PaymentError("cannot_accept", code=order.code, state=order.get_state_display())

        _clear(payment, ClarificationOutcome.ACCEPTED, user, reason, open_cents=open_cents)
        if covered and order.state in (*PAYABLE_STATES, OrderState.EXPIRED):
            transition_order(
                order,
                OrderState.PAID,
                cause=f"payment {payment.reference} accepted by the treasury",
                user=user,
                correction=order.state == OrderState.EXPIRED,
            )
    return payment


def refund_flagged_payment(
    payment: Payment,
    *,
    amount_cents: int,
    user,
    reason: str,
    payee: Payee | None = None,
    request_token: str | None = None,
) -> Refund:
    """Refund all or part of a payment in the queue; what is left counts for its order."""
    _require_permission(user)
    reason = _require_reason(reason)
    if not Payment.objects.filter(pk=payment.pk, needs_clarification=True).exists():
        raise PaymentError("not_in_clarification", reference=payment.reference)

    refund = refund_payment(
        payment,
        amount_cents=amount_cents,
        reason=reason,
        user=user,
        payee=payee,
        request_token=request_token,
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.needs_clarification:
            # A repeated form submission returned the refund of the first one.
            return refund
        order = (
            Order.objects.select_for_update()
            .select_related("municipality")
            .get(pk=payment.order_id)
        )
        _clear(payment, ClarificationOutcome.REFUNDED, user, reason, refund=refund.pk)
        if order.state in PAYABLE_STATES and open_amount_cents(order) <= 0:
            transition_order(
                order,
                OrderState.PAID,
                cause=f"payment {payment.reference} counts after a partial refund",
                user=user,
            )
    return refund


def assign_payment(payment: Payment, *, target: str, user, reason: str) -> Payment:
    """Move a payment in the queue to another order, found by code or Kassenzeichen."""
    _require_permission(user)
    reason = _require_reason(reason)
    municipality = payment.order.municipality
    new_order = find_order(municipality, target)

    with transaction.atomic():
        payment = _locked_flagged(payment)
        old_order = payment.order
        if new_order.pk == old_order.pk:
            raise PaymentError("same_order", code=old_order.code)

        payment.order = new_order
        payment.save(update_fields=["order"])
        _clear(
            payment,
            ClarificationOutcome.REASSIGNED,
            user,
            reason,
            from_order=old_order.code,
            to_order=new_order.code,
        )
        _settle_order(payment)
    logger.info(
        "payment %s moved from order %s to %s", payment.reference, old_order.code, new_order.code
    )
    return payment


def _require_permission(user) -> None:
    if user is None or not user.has_perm(CLARIFY_PERMISSION):
        raise PaymentError("clarify_not_allowed")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("missing_reason")
    return reason[:500]


def _locked_flagged(payment: Payment) -> Payment:
    locked = (
        Payment.objects.select_for_update().select_related("order__municipality").get(pk=payment.pk)
    )
    if not locked.needs_clarification:
        raise PaymentError("not_in_clarification", reference=locked.reference)
    return locked


def _clear(payment: Payment, outcome: str, user, reason: str, **data) -> None:
    """Take a locked payment out of the queue and record who decided what, and why."""
    payment.needs_clarification = False
    payment.clarification_outcome = outcome
    payment.clarified_at = timezone.now()
    payment.clarified_by = user
    payment.save(
        update_fields=[
            "needs_clarification",
            "clarification_outcome",
            "clarified_at",
            "clarified_by",
        ]
    )
    details = {
        "reason": reason,
        "clarification_reason": payment.clarification_reason,
        "user": user.pk,
        **data,
    }
    PaymentEvent.objects.create(
        payment=payment,
        from_state=payment.state,
        to_state=payment.state,
        cause=f"clarification: {outcome}",
        data=details,
    )
    audit(
        f"payment.clarification_{outcome}",
        payment,
        municipality=payment.order.municipality,
        user=user,
        data=details,
    )
