"""Refunds of card terminal payments, carried out on the till's integrated ZVT terminal.

A terminal refund always carries out a pending Refund of method ``card_terminal``, which
``payments.refunds.refund_payment`` stored under the rule that the refunds of a payment
never add up to more than was paid. This module only runs it on a terminal:

- reversal (06 30) by the receipt number of the approved payment, when the refund is the
  full amount and the payment was approved on this terminal today, before the terminal's
  last end-of-day closing. The terminal then takes the payment back without a new card
  booking.
- refund (06 31) to the card the customer presents, in every other case, and after the
  terminal declined a reversal of this refund once.

The Refund is marked done only after the terminal approved. A decline, a failed connection
or an unclear result leaves it pending and adds a refund event, so it can be started again.
An unclear result is settled by asking the terminal for its last result (06 20), as for
payments. Until then the refund cannot be started again, because the money may have gone
back already.
"""

import logging

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from stadtkasse.payments.models import PaymentMethod, Refund, RefundEvent, RefundKind, RefundState
from stadtkasse.payments.refunds import REFUND_PERMISSION, complete_refund
from stadtkasse.terminals import services
from stadtkasse.terminals.errors import TerminalUseError
from stadtkasse.terminals.models import (
    TerminalConfig,
    TerminalTransaction,
    TransactionKind,
    TransactionState,
)
from stadtkasse.terminals.zvt.client import TerminalError
from stadtkasse.terminals.zvt.result_codes import ABORTED, result_message

logger = logging.getLogger(__name__)

# Causes of the refund events that record an attempt on the terminal.
ATTEMPT_CAUSES = {
    TransactionState.DECLINED: "declined by the card terminal",
    TransactionState.FAILED: "card terminal not reachable",
    TransactionState.UNCLEAR: "card terminal result unknown",
}
DONE_CAUSES = {
    TransactionKind.REVERSAL: "reversed on the card terminal",
    TransactionKind.REFUND: "refunded on the card terminal",
}
OPEN_STATES = (TransactionState.RUNNING, TransactionState.UNCLEAR)


def may_refund(user) -> bool:
    """Tell whether a user may start refunds on a terminal: supervisors and the treasury."""
    return user.is_authenticated and user.has_perm(REFUND_PERMISSION)


def pending_terminal_refunds(municipality) -> QuerySet[Refund]:
    """Return the municipality's pending card terminal refunds, oldest first.

    Each refund carries ``terminal_attempts``, its terminal transactions, newest first.
    """
    return (
        Refund.objects.filter(
            payment__order__municipality=municipality,
            kind=RefundKind.REFUND,
            method=PaymentMethod.CARD_TERMINAL,
            state=RefundState.PENDING,
        )
        .select_related("payment__order")
        .prefetch_related(
            Prefetch(
                "terminal_transactions",
                queryset=TerminalTransaction.objects.order_by("-created_at", "-pk"),
                to_attr="terminal_attempts",
            )
        )
        .order_by("created_at", "pk")
    )


def find_refund(municipality, refund_id: int) -> Refund | None:
    """Return a refund of the municipality by its id, or None."""
    return (
        Refund.objects.filter(pk=refund_id, payment__order__municipality=municipality)
        .select_related("payment__order")
        .first()
    )


def reversal_source(config: TerminalConfig, refund: Refund) -> TerminalTransaction | None:
    """Return the approved payment transaction that a reversal (06 30) can take back, or None.

    A reversal needs the full amount, the payment's approval on this terminal today
    (Europe/Berlin), no approved end-of-day closing of the terminal since, and no reversal
    of this refund that the terminal declined before.
    """
    payment = refund.payment
    if refund.amount_cents != payment.amount_cents:
        return None
    approved = (
        TerminalTransaction.objects.filter(
            payment=payment,
            terminal=config,
            kind=TransactionKind.PAYMENT,
            state=TransactionState.APPROVED,
        )
        .exclude(receipt_number=None)
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .first()
    )
    if approved is None or timezone.localdate(approved.finished_at) != timezone.localdate():
        return None
    closed_since = TerminalTransaction.objects.filter(
        terminal=config,
        kind=TransactionKind.END_OF_DAY,
        state=TransactionState.APPROVED,
        created_at__gt=approved.finished_at,
    ).exists()
    declined_before = refund.terminal_transactions.filter(
        kind=TransactionKind.REVERSAL,
        state__in=(TransactionState.DECLINED, TransactionState.FAILED),
    ).exists()
    if closed_since or declined_before:
        return None
    return approved


def start_terminal_refund(config: TerminalConfig, refund: Refund, user) -> TerminalTransaction:
    """Start a pending card terminal refund on a till's terminal, in the background.

    Needs the permission payments.refund_payment. While a transaction of the refund runs
    or has an unclear result on this terminal, that transaction is returned and no second
    one starts. Raises TerminalUseError with a message for the user.
    """
    if not may_refund(user):
        raise TerminalUseError("not_allowed")
    if config is None:
        raise TerminalUseError("no_terminal")

    services.mark_stale_transactions(config)
    with transaction.atomic():
        # The refund's row lock makes two clicks, also at two tills, start one dialogue.
        refund = _locked_refund(refund, config)
        previous = refund.terminal_transactions.filter(state__in=OPEN_STATES).first()
        if previous is not None:
            if previous.terminal_id != config.pk:
                raise TerminalUseError("refund_elsewhere")
            return previous
        approved = refund.terminal_transactions.filter(state=TransactionState.APPROVED).first()
        if approved is not None:
            # The terminal approved, but the process stopped before the refund was marked.
            _complete(approved)
            return approved

        source = reversal_source(config, refund)
        dialogue = services._new_transaction(
            config,
            kind=TransactionKind.REVERSAL if source else TransactionKind.REFUND,
            payment=refund.payment,
            refund=refund,
            amount_cents=refund.amount_cents,
            receipt_number=source.receipt_number if source else None,
            started_by=user,
        )

    logger.info(
        "terminal refund started: refund=%s payment=%s terminal=%s transaction=%s kind=%s",
        refund.pk,
        refund.payment.reference,
        config.pk,
        dialogue.pk,
        dialogue.kind,
    )
    services.run_in_background(services.run_transaction, dialogue.pk)
    return dialogue


def _locked_refund(refund: Refund, config: TerminalConfig) -> Refund:
    refund = (
        Refund.objects.select_for_update()
        .select_related("payment__order__municipality")
        .get(pk=refund.pk)
    )
    if refund.payment.order.municipality_id != config.point_of_sale.operator.municipality_id:
        raise TerminalUseError("refund_not_found")
    if refund.kind != RefundKind.REFUND or refund.method != PaymentMethod.CARD_TERMINAL:
        raise TerminalUseError("refund_not_terminal", method=refund.get_method_display())
    if refund.state != RefundState.PENDING:
        raise TerminalUseError("refund_not_pending", state=refund.get_state_display())
    return refund


def settle_refund(dialogue: TerminalTransaction) -> None:
    """Carry the end of a refund dialogue over to its Refund.

    Approved: the refund is done, with the terminal's receipt number as its reference.
    Otherwise it stays pending with an event for the attempt; an unclear result is then
    asked of the terminal at once.
    """
    if dialogue.state == TransactionState.APPROVED:
        _complete(dialogue)
        return
    record_attempt(dialogue)
    if dialogue.state == TransactionState.UNCLEAR:
        recover_refund(dialogue.pk)


def _complete(dialogue: TerminalTransaction) -> None:
    complete_refund(
        dialogue.refund,
        cause=DONE_CAUSES[dialogue.kind],
        provider_reference=str(dialogue.receipt_number or ""),
        user=dialogue.started_by,
    )
    logger.info(
        "terminal refund done: refund=%s transaction=%s receipt=%s",
        dialogue.refund_id,
        dialogue.pk,
        dialogue.receipt_number,
    )


def record_attempt(dialogue: TerminalTransaction) -> None:
    """Add a refund event for a terminal attempt that did not refund; the state stays."""
    refund = dialogue.refund
    user = dialogue.started_by
    RefundEvent.objects.create(
        refund=refund,
        from_state=refund.state,
        to_state=refund.state,
        cause=ATTEMPT_CAUSES.get(dialogue.state, "card terminal result unknown"),
        user=user if getattr(user, "is_authenticated", False) else None,
        data={
            "terminal_transaction": dialogue.pk,
            "kind": dialogue.kind,
            "result_code": dialogue.result_code,
            "message": dialogue.message,
        },
    )
    logger.warning(
        "terminal refund not done: refund=%s transaction=%s state=%s result code %s",
        refund.pk,
        dialogue.pk,
        dialogue.state,
        dialogue.result_code,
    )


def recover_refund(dialogue_id: int) -> TerminalTransaction:
    """Ask the terminal for its last result and settle an unclear refund dialogue with it.

    - last result approved, same amount, receipt number not booked on another
      transaction: the money went back, so the refund is done.
    - last result declined or aborted with the same amount, or a receipt that belongs to
      another transaction: nothing went back, so the refund stays pending.
    - no status, or a status that fits neither case: the dialogue stays unclear.
    """
    dialogue = TerminalTransaction.objects.select_related("terminal", "refund").get(pk=dialogue_id)
    if dialogue.state != TransactionState.UNCLEAR or dialogue.refund_id is None:
        return dialogue
    TerminalTransaction.objects.filter(pk=dialogue.pk).update(
        recovery_attempts=dialogue.recovery_attempts + 1
    )
    try:
        outcome = services.client_for(dialogue.terminal).repeat_receipt()
    except TerminalError as error:
        logger.warning("terminal transaction %s: refund recovery failed: %s", dialogue.pk, error)
        return dialogue

    status = outcome.status
    if status is None or status.result_code is None:
        logger.warning("terminal transaction %s: last result without a status", dialogue.pk)
        return dialogue
    booked_elsewhere = services.booked_on_other_transaction(dialogue, status)
    same_amount = status.amount_cents == dialogue.amount_cents
    if status.approved and same_amount and not booked_elsewhere:
        logger.info("terminal transaction %s: recovery found the refund", dialogue.pk)
        done = (
            services.REVERSAL_DONE
            if dialogue.kind == TransactionKind.REVERSAL
            else services.REFUND_DONE
        )
        services._finish(
            dialogue,
            TransactionState.APPROVED,
            message=str(done),
            result_code=0,
            receipt_lines=outcome.receipt_lines,
            status=status,
        )
        settle_refund(dialogue)
    elif booked_elsewhere or (not status.approved and same_amount):
        logger.info("terminal transaction %s: recovery found no refund", dialogue.pk)
        code = ABORTED if status.approved else status.result_code
        services._finish(
            dialogue, TransactionState.DECLINED, message=result_message(code), result_code=code
        )
        settle_refund(dialogue)
    else:
        logger.warning("terminal transaction %s: last result does not fit", dialogue.pk)
    dialogue.refresh_from_db()
    return dialogue
