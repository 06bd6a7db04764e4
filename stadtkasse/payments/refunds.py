"""Refunds and returned direct debits: money that goes back to the payer of a payment.

A refund goes back the way the money came (the payment's method):

- ``epay``: the provider refunds it at once; done on success, failed on a ProviderError.
- ``cash``: pending until a cashier confirms the payout at the counter (complete_refund).
- ``card_external``: pending until a cashier confirms the refund on the stand-alone terminal.
- ``card_terminal``: pending until a supervisor runs it on a till's integrated terminal
  and the terminal approves. terminals/refunds.py runs the ZVT dialogue and then calls
  complete_refund with the terminal's receipt number. A declined attempt leaves it pending.
- ``transfer`` and ``sepa_debit``: pending with the payee's account until the SEPA export
  puts it into a pain.001 transfer file (mark_refunds_sent), then done.

Every refund that has not failed counts against its payment. The sum is checked under
the payment's row lock, so that two refunds at the same time cannot overdraw it. Locking
order as in services.py: the payment row first, then the order row.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from stadtkasse.core.money import format_cents
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import transition as transition_order
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import (
    REFUND_TRANSITIONS,
    ClarificationReason,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundEvent,
    RefundKind,
    RefundState,
)
from stadtkasse.payments.providers import ProviderError, get_provider
from stadtkasse.payments.services import (
    counted_payments,
    flag_for_clarification,
    open_amount_cents,
)
from stadtkasse.payments.signals import chargeback_recorded

logger = logging.getLogger(__name__)

REFUND_PERMISSION = "payments.refund_payment"
# Methods whose refunds go out by bank transfer and need the payee's account.
BANK_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.SEPA_DEBIT)

# The first step of a new refund, and its cause, per method of the original payment.
PENDING_CAUSES = {
    PaymentMethod.EPAY: "sent to the payment provider",
    PaymentMethod.CASH: "to be paid out in cash at the counter",
    PaymentMethod.CARD_EXTERNAL: "to be refunded on the stand-alone card terminal",
    PaymentMethod.CARD_TERMINAL: "to be refunded on the integrated card terminal",
    PaymentMethod.TRANSFER: "waiting for the next transfer file",
    PaymentMethod.SEPA_DEBIT: "waiting for the next transfer file",
}


@dataclass(frozen=True)
class Payee:
    """The account a refund by bank transfer goes to."""

    name: str
    iban: str
    bic: str = ""


# Steps of a refund's state machine


def _record(refund: Refund, from_state: str, to_state: str, cause: str, user=None, **data):
    RefundEvent.objects.create(
        refund=refund,
        from_state=from_state,
        to_state=to_state,
        cause=cause[:200],
        user=user if getattr(user, "is_authenticated", False) else None,
        data=data,
    )


def _move(refund: Refund, new_state: str, *, cause: str, user=None, **data) -> bool:
    """Move a locked refund to a new state; record a repeated or out-of-order step, apply none.

    Returns True where the state changed.
    """
    old_state = refund.state
    if new_state == old_state:
        _record(refund, old_state, old_state, f"{cause} (repeated, no change)", user, **data)
        return False
    if new_state not in REFUND_TRANSITIONS[RefundState(old_state)]:
        _record(
            refund,
            old_state,
            old_state,
            f"{cause} (out of order, ignored)",
            user,
            reported_state=new_state,
            **data,
        )
        logger.warning(
            "refund %s: %s reported while %s; ignored and recorded", refund.pk, new_state, old_state
        )
        return False

    refund.state = new_state
    fields = ["state", "updated_at"]
    if new_state == RefundState.DONE:
        refund.done_at = timezone.now()
        fields.append("done_at")
    refund.save(update_fields=fields)
    _record(refund, old_state, new_state, cause, user, **data)
    audit(
        f"refund.{new_state}",
        refund,
        municipality=refund.payment.order.municipality,
        user=user,
        data={"payment": str(refund.payment.reference), "cause": cause},
    )
    return True


def _locked_refund(refund: Refund) -> Refund:
    return (
        Refund.objects.select_for_update()
        .select_related("payment__order__municipality")
        .get(pk=refund.pk)
    )


# Amounts


def refunded_cents(payment: Payment) -> int:
    """Return the refunds and returned debits of a payment that have not failed."""
    return (
        payment.refunds.exclude(state=RefundState.FAILED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )


def refundable_cents(payment: Payment) -> int:
    """Return how much of a confirmed payment can still be refunded."""
    if payment.state != PaymentState.CONFIRMED:
        return 0
    return max(payment.amount_cents - refunded_cents(payment), 0)


# Guards


def _require_permission(user) -> None:
    if user is None or not user.has_perm(REFUND_PERMISSION):
        raise PaymentError("refund_not_allowed")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("missing_reason")
    return reason[:500]


def _require_amount(amount_cents) -> int:
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        value = format_cents(amount_cents) if isinstance(amount_cents, int) else amount_cents
        raise PaymentError("invalid_refund_amount", value=value)
    return amount_cents


def payer_account(payment: Payment) -> Payee | None:
    """Return the payer's account from the payment's events, as a bank statement line gave it."""
    for event in payment.events.order_by("-created_at", "-pk"):
        iban = (event.data or {}).get("payer_iban")
        if iban:
            return Payee(name=(event.data.get("payer_name") or "")[:70], iban=iban)
    return None


def refund_method(payment: Payment) -> str:
    """Return how a refund of the payment goes out: its own method, or a bank transfer.

    An e-payment whose provider has no refund call (or is no longer configured) is
    refunded by bank transfer to an account the treasury enters.
    """
    if payment.method != PaymentMethod.EPAY:
        return payment.method
    try:
        provider = get_provider(payment.provider)
    except KeyError:
        return PaymentMethod.TRANSFER
    return PaymentMethod.EPAY if provider.can_refund else PaymentMethod.TRANSFER


def needs_payee(payment: Payment) -> bool:
    """Tell whether a refund of the payment needs the payee's bank account."""
    return refund_method(payment) in BANK_METHODS


def validate_payee(payment: Payment, payee: Payee | None) -> Payee | None:
    """Check the account of a refund by bank transfer; return it in normal form.

    Payments refunded another way need no account, and a given one is ignored.
    """
    if not needs_payee(payment):
        return None
    method = payment.get_method_display()
    if payee is None or not payee.iban.strip():
        raise PaymentError("missing_iban", method=method)
    if not payee.name.strip():
        raise PaymentError("missing_payee_name", method=method)
    try:
        iban = IBAN(payee.iban)
    except SchwiftyException:
        raise PaymentError("invalid_iban", value=payee.iban.strip()) from None
    bic = ""
    if payee.bic.strip():
        try:
            bic = str(BIC(payee.bic))
        except SchwiftyException:
            raise PaymentError("invalid_bic", value=payee.bic.strip()) from None
    return Payee(name=payee.name.strip()[:70], iban=iban.compact, bic=bic)


# Refunds


def refund_payment(
    payment: Payment,
    *,
    amount_cents: int,
    reason: str,
    user,
    payee: Payee | None = None,
    request_token: str | None = None,
) -> Refund:
    """Refund (part of) a confirmed payment the way it was paid.

    Needs the permission payments.refund_payment. A payment by transfer or direct debit
    needs the payee's account; without one given, the payer's account from the bank
    statement is used. A ``request_token`` used before returns the refund it created.
    Raises PaymentError with a message for the user.
    """
    _require_permission(user)
    reason = _require_reason(reason)
    amount_cents = _require_amount(amount_cents)
    if request_token:
        existing = Refund.objects.filter(request_token=request_token).first()
        if existing is not None:
            return existing
    payee = validate_payee(payment, payee or payer_account(payment))

    try:
        with transaction.atomic():
            refund = _reserve(payment, amount_cents, reason, user, payee, request_token)
    except IntegrityError:
        # The same form was sent twice at once; the other request stored the refund.
        existing = (
            Refund.objects.filter(request_token=request_token).first() if request_token else None
        )
        if existing is None:
            raise
        return existing
    return _dispatch(refund, user)


def refund_order(
    order: Order,
    *,
    user,
    reason: str,
    payees: dict[int, Payee] | None = None,
    request_token: str | None = None,
) -> list[Refund]:
    """Refund everything an order's counted payments brought in, one refund per payment.

    An order paid with several payments (split tender) gets one refund per payment, each
    the way it was paid. ``payees`` maps a payment's id to the account for a payment by
    transfer or direct debit. Nothing is stored where one refund fails a check.
    """
    _require_permission(user)
    reason = _require_reason(reason)
    payees = payees or {}
    if (
        request_token
        and Refund.objects.filter(request_token__startswith=f"{request_token}:").exists()
    ):
        return list(Refund.objects.filter(request_token__startswith=f"{request_token}:"))

    payments = list(counted_payments(order).order_by("created_at", "pk"))
    planned = []
    for payment in payments:
        remaining = refundable_cents(payment)
        if remaining > 0:
            payee = validate_payee(payment, payees.get(payment.pk) or payer_account(payment))
            planned.append((payment, remaining, payee))
    if not planned:
        raise PaymentError("nothing_to_refund", code=order.code)

    with transaction.atomic():
        refunds = [
            _reserve(
                payment,
                amount,
                reason,
                user,
                payee,
                f"{request_token}:{payment.pk}" if request_token else None,
            )
            for payment, amount, payee in planned
        ]
    return [_dispatch(refund, user) for refund in refunds]


def _reserve(payment, amount_cents, reason, user, payee, request_token) -> Refund:
    """Store a pending refund under the payment's row lock; call inside a transaction."""
    payment = (
        Payment.objects.select_for_update().select_related("order__municipality").get(pk=payment.pk)
    )
    if payment.state != PaymentState.CONFIRMED:
        raise PaymentError(
            "payment_not_refundable", reference=payment.reference, state=payment.get_state_display()
        )
    maximum = refundable_cents(payment)
    if amount_cents > maximum:
        raise PaymentError(
            "refund_too_high", value=format_cents(amount_cents), maximum=format_cents(maximum)
        )

    method = refund_method(payment)
    refund = Refund.objects.create(
        payment=payment,
        kind=RefundKind.REFUND,
        method=method,
        amount_cents=amount_cents,
        reason=reason,
        payee_name=payee.name if payee else "",
        payee_iban=payee.iban if payee else "",
        payee_bic=payee.bic if payee else "",
        request_token=request_token,
        created_by=user,
    )
    _record(refund, "", RefundState.CREATED, "refund requested", user, reason=reason)
    _move(refund, RefundState.PENDING, cause=PENDING_CAUSES[method], user=user)
    logger.info(
        "refund %s of payment %s: %d cents by %s",
        refund.pk,
        payment.reference,
        amount_cents,
        payment.method,
    )
    return refund


def _dispatch(refund: Refund, user) -> Refund:
    """Send an e-payment refund to the provider; other methods wait for a person or a file.

    The provider is called after the commit, outside every lock, because it may be slow;
    the pending refund already holds its share of the payment.
    """
    if refund.method != PaymentMethod.EPAY:
        return refund
    payment = refund.payment
    try:
        result = get_provider(payment.provider).refund(payment, refund.amount_cents)
    except (ProviderError, KeyError) as error:
        logger.error("refund %s: provider %s failed: %s", refund.pk, payment.provider, error)
        fail_refund(refund, cause=f"provider {payment.provider} failed: {error}"[:200], user=user)
    else:
        if result.done:
            complete_refund(
                refund,
                cause=f"refunded by {payment.provider}",
                provider_reference=result.provider_reference,
                user=user,
            )
        else:
            # The provider accepted the refund but reports it later; it stays pending.
            with transaction.atomic():
                Refund.objects.filter(pk=refund.pk).update(
                    provider_reference=result.provider_reference[:100]
                )
    refund.refresh_from_db()
    return refund


def complete_refund(
    refund: Refund, *, cause: str, user=None, provider_reference: str = ""
) -> Refund:
    """Mark a pending refund as done: paid out, refunded on a terminal, or by the provider.

    The counter calls this once a cashier paid out cash or refunded on the stand-alone
    terminal. The integrated terminal calls it with its receipt number as
    ``provider_reference``. A repeated call is recorded and changes nothing.
    """
    with transaction.atomic():
        refund = _locked_refund(refund)
        if provider_reference:
            refund.provider_reference = provider_reference[:100]
            refund.save(update_fields=["provider_reference", "updated_at"])
        _move(refund, RefundState.DONE, cause=cause, user=user)
    return refund


def fail_refund(refund: Refund, *, cause: str, user=None) -> Refund:
    """Mark a pending refund as failed; its amount can then be refunded again."""
    with transaction.atomic():
        refund = _locked_refund(refund)
        _move(refund, RefundState.FAILED, cause=cause, user=user)
    return refund


def mark_refunds_sent(refunds, *, file_reference: str) -> list[Refund]:
    """Mark refunds by bank transfer as done once they are in a pain.001 transfer file.

    ``done`` means handed to the bank in the file ``file_reference``, which is stored as
    the refund's provider reference. Refunds that are done with this file already are
    skipped, so the same file reported twice has the effect of once. Returns the refunds
    that changed. Raises ValueError for a refund that is not a bank transfer, or that is
    not pending.
    """
    changed = []
    with transaction.atomic():
        for refund in sorted(refunds, key=lambda item: item.pk):
            refund = _locked_refund(refund)
            if refund.method not in BANK_METHODS or refund.kind != RefundKind.REFUND:
                raise ValueError(f"refund {refund.pk} is not a refund by bank transfer")
            if refund.state == RefundState.DONE and refund.provider_reference == file_reference:
                continue
            if refund.state != RefundState.PENDING:
                raise ValueError(f"refund {refund.pk} is {refund.state}, not pending")
            refund.provider_reference = file_reference[:100]
            refund.save(update_fields=["provider_reference", "updated_at"])
            _move(refund, RefundState.DONE, cause=f"in transfer file {file_reference}"[:200])
            changed.append(refund)
    logger.info("transfer file %s: %d refunds marked sent", file_reference, len(changed))
    return changed


# Returned direct debits


def record_chargeback(
    payment: Payment,
    *,
    amount_cents: int,
    reason_code: str,
    fee_cents: int = 0,
    reference: str,
    cause: str,
) -> Refund:
    """Record a direct debit the payer's bank returned, and reopen the paid order.

    ``reference`` identifies the bank statement entry; the same entry reported again
    returns the refund stored the first time. A returned debit larger than what is left
    of the payment is still recorded, because it happened at the bank, and the payment
    goes into the clarification queue.
    """
    if not reference:
        raise ValueError("a returned debit needs the bank's reference")
    existing = _chargeback(reference)
    if existing is not None:
        return existing

    try:
        with transaction.atomic():
            refund = _store_chargeback(
                payment, amount_cents, reason_code, fee_cents, reference, cause
            )
            chargeback_recorded.send(
                sender=Refund,
                payment=payment,
                refund=refund,
                reason_code=reason_code,
                fee_cents=fee_cents,
            )
    except IntegrityError:
        # Another request stored the same entry at the same time.
        existing = _chargeback(reference)
        if existing is None:
            raise
        return existing
    return refund


def _chargeback(reference: str) -> Refund | None:
    return Refund.objects.filter(kind=RefundKind.CHARGEBACK, provider_reference=reference).first()


def _store_chargeback(payment, amount_cents, reason_code, fee_cents, reference, cause) -> Refund:
    payment = (
        Payment.objects.select_for_update().select_related("order__municipality").get(pk=payment.pk)
    )
    exceeds = amount_cents > refundable_cents(payment)
    refund = Refund.objects.create(
        payment=payment,
        kind=RefundKind.CHARGEBACK,
        method=payment.method,
        amount_cents=amount_cents,
        fee_cents=fee_cents,
        reason=f"returned direct debit {reason_code}".strip(),
        reason_code=reason_code[:8],
        provider_reference=reference[:100],
    )
    _record(refund, "", RefundState.CREATED, cause, reason_code=reason_code, fee_cents=fee_cents)
    _move(refund, RefundState.DONE, cause=cause, reason_code=reason_code)
    logger.warning(
        "returned debit for payment %s: %d cents, reason %s, fee %d cents",
        payment.reference,
        amount_cents,
        reason_code,
        fee_cents,
    )

    if exceeds:
        flag_for_clarification(payment, ClarificationReason.CHARGEBACK_EXCEEDS)
    _reopen_order(payment, cause=f"direct debit returned ({reason_code})")
    return refund


def _reopen_order(payment: Payment, *, cause: str) -> None:
    """Reopen a paid order whose payment came back, so that the rest can be collected."""
    order = (
        Order.objects.select_for_update().select_related("municipality").get(pk=payment.order_id)
    )
    if order.state != OrderState.PAID or open_amount_cents(order) <= 0:
        return
    if transition_order(order, OrderState.PENDING_PAYMENT, cause=cause, correction=True):
        # No payment deadline: the reopened order must not expire before it is collected.
        Order.objects.filter(pk=order.pk).update(paid_at=None, expires_at=None)


__all__ = [
    "BANK_METHODS",
    "needs_payee",
    "refund_method",
    "Payee",
    "complete_refund",
    "fail_refund",
    "mark_refunds_sent",
    "record_chargeback",
    "refund_order",
    "refund_payment",
    "refundable_cents",
    "refunded_cents",
    "validate_payee",
]
