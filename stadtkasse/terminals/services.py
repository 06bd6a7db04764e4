"""Card terminal services: payments, reversals, refunds and the end-of-day closing over ZVT.

Every dialogue with a terminal is a TerminalTransaction row. ``start_*`` functions check
the request, store the row (and a pending payment), and hand the dialogue to
``run_in_background``; the till then polls the row. Any server process can answer the
poll, because the dialogue writes everything it learns into the database. Reversals and
refunds always carry out a pending Refund; terminals/refunds.py starts them.

Fault rule: the customer's charge is never guessed. When the connection breaks after the
authorization was sent, the payment stays pending and the transaction "unclear" until
the terminal is asked for its last result (repeat receipt, 06 20). That answer confirms
the payment, or fails it, or, when the order can no longer take the money, leads to a
reversal on the terminal.
"""

import logging
import threading
from datetime import timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.channels import Channel
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order
from stadtkasse.orders.services import transition as transition_order
from stadtkasse.payments.models import (
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentState,
)
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result
from stadtkasse.terminals.errors import TerminalUseError
from stadtkasse.terminals.models import (
    TerminalConfig,
    TerminalTransaction,
    TransactionKind,
    TransactionState,
)
from stadtkasse.terminals.zvt.client import (
    Outcome,
    ResultUnknown,
    TerminalError,
    TerminalUnreachable,
    ZvtClient,
)
from stadtkasse.terminals.zvt.messages import IntermediateStatus, StatusInformation
from stadtkasse.terminals.zvt.result_codes import (
    ABORTED,
    intermediate_message,
    result_message,
)

logger = logging.getLogger(__name__)

PROVIDER = "zvt"
PAYABLE_STATES = (OrderState.OPEN, OrderState.PENDING_PAYMENT)
# Seconds added to the idle timeout before a running transaction without heartbeat counts
# as left behind by a server process that stopped.
STALE_MARGIN_SECONDS = 30


# Sentences for the cashier at the end of a dialogue.
UNCLEAR_MESSAGE = _(
    "The connection to the terminal broke off before its result arrived. It is not clear "
    "whether the customer was charged. Please check the terminal's display or receipt, "
    "then let the till ask the terminal again."
)
UNREACHABLE_MESSAGE = _(
    "The card terminal cannot be reached. Please check that it is switched on and "
    "connected, then try again. The customer was not charged."
)
REJECTED_MESSAGE = _(
    "The card terminal refused the request (code %(code)s). The customer was not charged."
)
CLARIFY_MESSAGE = _(
    "The customer was charged, but the order was already paid or canceled. The treasury "
    "has been asked to clarify the payment."
)
REVERSED_AFTER_RECOVERY = _(
    "The terminal had approved the payment, but the order could no longer be paid. The "
    "payment was reversed on the terminal; the customer was not charged."
)
UNCLEAR_REFUND_MESSAGE = _(
    "The connection to the terminal broke off before its result arrived. It is not clear "
    "whether the amount went back to the card. Please check the terminal's display or "
    "receipt, then let the till ask the terminal again."
)
END_OF_DAY_DONE = _("The end-of-day closing of the terminal is done.")
REVERSAL_DONE = _("The payment was reversed on the terminal.")
REFUND_DONE = _("The amount was refunded to the card.")


def _run_in_thread(function, *args) -> None:
    def target():
        try:
            function(*args)
        finally:
            close_old_connections()

    threading.Thread(target=target, daemon=True, name="zvt-dialogue").start()


# Tests replace this with a function that calls at once.
run_in_background = _run_in_thread


# ---- Look-ups ----------------------------------------------------------------------------


def terminal_for(point_of_sale) -> TerminalConfig | None:
    """Return the active card terminal of a till, or None."""
    return TerminalConfig.objects.filter(point_of_sale=point_of_sale, active=True).first()


def client_for(config: TerminalConfig) -> ZvtClient:
    return ZvtClient(
        config.host,
        config.port,
        config.password,
        connect_timeout=config.connect_timeout_seconds,
        ack_timeout=config.connect_timeout_seconds,
        idle_timeout=config.idle_timeout_seconds,
    )


# ---- Starting dialogues ------------------------------------------------------------------


def _new_transaction(config: TerminalConfig, **fields) -> TerminalTransaction:
    """Store a running transaction; raise terminal_busy while another one runs."""
    mark_stale_transactions(config)
    try:
        with transaction.atomic():
            return TerminalTransaction.objects.create(
                terminal=config, heartbeat_at=timezone.now(), **fields
            )
    except IntegrityError as error:
        raise TerminalUseError("terminal_busy") from error


def start_payment(order: Order, point_of_sale, cashier) -> TerminalTransaction:
    """Create a pending card payment for an open order and start it on the till's terminal."""
    config = terminal_for(point_of_sale)
    if config is None:
        raise TerminalUseError("no_terminal")

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.state not in PAYABLE_STATES:
            raise TerminalUseError(
                "order_not_payable", code=order.code, state=order.get_state_display()
            )
        payment = Payment.objects.create(
            order=order,
            method=PaymentMethod.CARD_TERMINAL,
            provider=PROVIDER,
            amount_cents=order.total_cents,
            state=PaymentState.PENDING,
        )
        PaymentEvent.objects.create(
            payment=payment,
            from_state=PaymentState.CREATED,
            to_state=PaymentState.PENDING,
            cause="sent to the card terminal",
            data={"terminal": config.pk},
        )
        dialogue = _new_transaction(
            config,
            kind=TransactionKind.PAYMENT,
            payment=payment,
            amount_cents=order.total_cents,
            started_by=cashier,
        )

    logger.info(
        "terminal payment started: order=%s payment=%s terminal=%s transaction=%s",
        order.code,
        payment.reference,
        config.pk,
        dialogue.pk,
    )
    run_in_background(run_transaction, dialogue.pk)
    return dialogue


def sell_by_terminal(
    point_of_sale, cashier, requests: list[LineRequest], *, submit_token: str
) -> TerminalTransaction:
    """Store an open counter order and start its card payment on the till's terminal.

    The order stays open until the terminal approves, so a declined card leaves an order
    that can be paid again or canceled. A repeated ``submit_token`` returns the latest
    transaction of the order stored the first time, or starts one if it has none.
    The caller checks that the cashier may sell at this till.
    """
    if terminal_for(point_of_sale) is None:
        raise TerminalUseError("no_terminal")
    existing = Order.objects.filter(submit_token=submit_token).first()
    if existing is not None:
        latest = (
            TerminalTransaction.objects.filter(payment__order=existing)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is not None:
            return latest

    lines = price_lines(
        point_of_sale.municipality,
        requests,
        channel=Channel.COUNTER,
        point_of_sale=point_of_sale,
    )
    order = existing or create_order(
        point_of_sale.municipality,
        lines,
        channel=Channel.COUNTER,
        point_of_sale=point_of_sale,
        cashier=cashier,
        state=OrderState.OPEN,
        submit_token=submit_token,
    )
    return start_payment(order, point_of_sale, cashier)


def may_run_end_of_day(user) -> bool:
    """Tell whether a user may close the terminal's day: supervisors and the treasury.

    NOTE: the roles in core/roles.py do not grant terminals.run_end_of_day yet, so the
    refund right of supervisors and the treasury counts as well.
    """
    return user.has_perm("terminals.run_end_of_day") or user.has_perm("payments.refund_payment")


def start_end_of_day(point_of_sale, user) -> TerminalTransaction:
    """Start the end-of-day closing (06 50) of a till's terminal."""
    if not may_run_end_of_day(user):
        raise TerminalUseError("not_allowed")
    config = terminal_for(point_of_sale)
    if config is None:
        raise TerminalUseError("no_terminal")
    dialogue = _new_transaction(config, kind=TransactionKind.END_OF_DAY, started_by=user)
    logger.info("terminal end-of-day started: terminal=%s transaction=%s", config.pk, dialogue.pk)
    run_in_background(run_transaction, dialogue.pk)
    return dialogue


def request_abort(dialogue: TerminalTransaction) -> None:
    """Ask the running dialogue to send an abort (06 B0) to the terminal."""
    TerminalTransaction.objects.filter(pk=dialogue.pk, state=TransactionState.RUNNING).update(
        abort_requested=True
    )
    logger.info("terminal abort requested: transaction=%s", dialogue.pk)


def start_recovery(dialogue: TerminalTransaction) -> None:
    """Ask the terminal again for the result of an unclear payment or refund, in the background."""
    if dialogue.state != TransactionState.UNCLEAR:
        raise TerminalUseError("not_unclear")
    if dialogue.refund_id is not None:
        run_in_background(_terminal_refunds().recover_refund, dialogue.pk)
    else:
        run_in_background(recover_payment, dialogue.pk)


def cancel_unpaid_order(dialogue: TerminalTransaction, user) -> Order:
    """Cancel the open order of a declined or failed terminal payment."""
    if dialogue.state in (TransactionState.RUNNING, TransactionState.UNCLEAR):
        raise TerminalUseError("not_finished")
    order = dialogue.payment.order
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.state not in PAYABLE_STATES or not transition_order(
            order, OrderState.CANCELED, cause="card payment declined, sale canceled", user=user
        ):
            raise TerminalUseError(
                "not_cancelable", code=order.code, state=order.get_state_display()
            )
    return order


def mark_stale_transactions(config: TerminalConfig) -> int:
    """Mark running transactions whose process stopped sending heartbeats as unclear."""
    limit = timezone.now() - timedelta(
        seconds=config.idle_timeout_seconds + config.connect_timeout_seconds + STALE_MARGIN_SECONDS
    )
    stale = TerminalTransaction.objects.filter(
        terminal=config, state=TransactionState.RUNNING, heartbeat_at__lt=limit
    )
    count = 0
    for dialogue in stale:
        _finish(
            dialogue,
            TransactionState.UNCLEAR,
            message=_unclear_message(dialogue),
        )
        count += 1
        logger.warning("terminal transaction %s left running without heartbeat", dialogue.pk)
    return count


# ---- Running dialogues -------------------------------------------------------------------


def run_transaction(dialogue_id: int) -> None:
    """Run the dialogue of a stored transaction to its end, logging errors instead of raising."""
    dialogue = TerminalTransaction.objects.select_related("terminal", "payment").get(pk=dialogue_id)
    client = client_for(dialogue.terminal)
    try:
        if dialogue.kind == TransactionKind.PAYMENT:
            _run_payment(dialogue, client)
        elif dialogue.kind == TransactionKind.END_OF_DAY:
            _run_simple(
                dialogue,
                client.end_of_day(on_intermediate=_status_writer(dialogue)),
                END_OF_DAY_DONE,
            )
        elif dialogue.kind == TransactionKind.REVERSAL:
            _run_simple(dialogue, client.reverse(dialogue.receipt_number), REVERSAL_DONE)
        elif dialogue.kind == TransactionKind.REFUND:
            outcome = client.refund(
                dialogue.amount_cents,
                on_intermediate=_status_writer(dialogue),
                should_abort=_abort_requested(dialogue),
            )
            _run_simple(dialogue, outcome, REFUND_DONE)
    except TerminalUnreachable as error:
        logger.warning("terminal transaction %s: %s", dialogue.pk, error)
        _fail_before_start(dialogue, str(UNREACHABLE_MESSAGE))
    except ResultUnknown as error:
        logger.warning("terminal transaction %s: result unknown: %s", dialogue.pk, error)
        _finish(dialogue, TransactionState.UNCLEAR, message=_unclear_message(dialogue))
        if dialogue.kind == TransactionKind.PAYMENT:
            recover_payment(dialogue.pk)
    except TerminalError as error:
        logger.warning("terminal transaction %s rejected: %s", dialogue.pk, error)
        code = getattr(error, "error_code", None)
        _fail_before_start(
            dialogue, str(REJECTED_MESSAGE % {"code": f"{code:02X}" if code is not None else "–"})
        )
    except Exception:
        # Whatever went wrong, the cashier must not see "running" for ever.
        logger.exception("terminal transaction %s failed", dialogue.pk)
        _finish(dialogue, TransactionState.UNCLEAR, message=_unclear_message(dialogue))
    if dialogue.refund_id is not None:
        _terminal_refunds().settle_refund(dialogue)


def _unclear_message(dialogue: TerminalTransaction) -> str:
    return str(UNCLEAR_REFUND_MESSAGE if dialogue.refund_id is not None else UNCLEAR_MESSAGE)


def _terminal_refunds():
    """Return the module of terminal refunds; imported late because it builds on this one."""
    from stadtkasse.terminals import refunds

    return refunds


def _status_writer(dialogue: TerminalTransaction):
    def write(status: IntermediateStatus) -> None:
        TerminalTransaction.objects.filter(pk=dialogue.pk).update(
            status_text=intermediate_message(status.code, status.texts)[:200],
            heartbeat_at=timezone.now(),
        )

    return write


def _abort_requested(dialogue: TerminalTransaction):
    def check() -> bool:
        return TerminalTransaction.objects.filter(pk=dialogue.pk, abort_requested=True).exists()

    return check


def _run_payment(dialogue: TerminalTransaction, client: ZvtClient) -> None:
    outcome = client.authorize(
        dialogue.amount_cents,
        on_intermediate=_status_writer(dialogue),
        should_abort=_abort_requested(dialogue),
    )
    if outcome.success and outcome.status is not None:
        _confirm(
            dialogue, outcome.status, outcome.receipt_lines, cause="approved by the card terminal"
        )
    elif _abort_requested(dialogue)():
        # The cashier pressed "cancel payment"; the terminal confirms the abort with an
        # error result, which is no decline of the card.
        _decline(dialogue, outcome.result_code, cause="canceled at the till")
    else:
        _decline(dialogue, outcome.result_code, cause="declined by the card terminal")


def _run_simple(dialogue: TerminalTransaction, outcome: Outcome, done_message) -> None:
    status = outcome.status or StatusInformation()
    if outcome.success:
        _finish(
            dialogue,
            TransactionState.APPROVED,
            message=str(done_message),
            result_code=0,
            receipt_lines=outcome.receipt_lines,
            status=status,
        )
        if dialogue.kind == TransactionKind.REVERSAL:
            _record_on_payment(dialogue, "reversed on the card terminal")
        elif dialogue.kind == TransactionKind.REFUND:
            _record_on_payment(dialogue, "refunded on the card terminal")
    else:
        _finish(
            dialogue,
            TransactionState.DECLINED,
            message=result_message(outcome.result_code),
            result_code=outcome.result_code,
        )


def _record_on_payment(dialogue: TerminalTransaction, cause: str) -> None:
    payment = dialogue.payment
    PaymentEvent.objects.create(
        payment=payment,
        from_state=payment.state,
        to_state=payment.state,
        cause=cause,
        data={
            "terminal_transaction": dialogue.pk,
            "amount_cents": dialogue.amount_cents,
            "receipt_lines": dialogue.receipt_lines,
            "receipt_number": dialogue.receipt_number,
        },
    )
    audit(
        f"payment.terminal_{dialogue.kind}",
        payment,
        municipality=payment.order.municipality,
        user=dialogue.started_by,
        data={"amount_cents": dialogue.amount_cents, "transaction": dialogue.pk},
    )


def _payment_data(status: StatusInformation, receipt_lines: list[str]) -> dict:
    return {
        "receipt_lines": receipt_lines,
        "trace": status.trace_number,
        "receipt_number": status.receipt_number,
        "terminal_id": status.terminal_id,
        "card": status.card_number,
        "card_name": status.card_name,
        "result_code": status.result_code,
    }


def _terminal_reference(status: StatusInformation) -> str:
    """Return terminal ID, receipt number and trace number, the keys of a card payment."""
    return f"{status.terminal_id}/{status.receipt_number or ''}/{status.trace_number or ''}"


def _confirm(dialogue, status: StatusInformation, receipt_lines: list[str], *, cause: str) -> None:
    payment = apply_provider_result(
        ProviderResult(
            payment_reference=str(dialogue.payment.reference),
            state=PaymentState.CONFIRMED,
            provider_reference=_terminal_reference(status),
            amount_cents=status.amount_cents,
            data=_payment_data(status, receipt_lines),
        ),
        cause=cause,
    )
    message = result_message(0)
    if payment.needs_clarification:
        message = str(CLARIFY_MESSAGE)
    _finish(
        dialogue,
        TransactionState.APPROVED,
        message=message,
        result_code=0,
        receipt_lines=receipt_lines,
        status=status,
    )


def _decline(dialogue, result_code: int | None, *, cause: str) -> None:
    apply_provider_result(
        ProviderResult(
            payment_reference=str(dialogue.payment.reference),
            state=PaymentState.FAILED,
            data={"result_code": result_code},
        ),
        cause=cause,
    )
    _finish(
        dialogue,
        TransactionState.DECLINED,
        message=result_message(ABORTED if result_code is None else result_code),
        result_code=result_code,
    )


def _fail_before_start(dialogue, message: str) -> None:
    """Record that the terminal never took the command, so nothing was charged."""
    if dialogue.kind == TransactionKind.PAYMENT:
        apply_provider_result(
            ProviderResult(
                payment_reference=str(dialogue.payment.reference), state=PaymentState.FAILED
            ),
            cause="card terminal not reachable",
        )
    _finish(dialogue, TransactionState.FAILED, message=message)


def _finish(
    dialogue, state: str, *, message: str, result_code=None, receipt_lines=None, status=None
):
    changes = {
        "state": state,
        "message": message,
        "result_code": result_code,
        "finished_at": timezone.now(),
        "heartbeat_at": timezone.now(),
    }
    if receipt_lines is not None:
        changes["receipt_lines"] = receipt_lines
    if status is not None:
        if status.receipt_number is not None:
            changes["receipt_number"] = status.receipt_number
        changes.update(
            trace_number=status.trace_number,
            terminal_identifier=status.terminal_id,
            card=status.card_number,
            card_name=status.card_name,
        )
    TerminalTransaction.objects.filter(pk=dialogue.pk).update(**changes)
    for name, value in changes.items():
        setattr(dialogue, name, value)
    logger.info(
        "terminal transaction %s (%s) ended: %s, result code %s",
        dialogue.pk,
        dialogue.kind,
        state,
        result_code,
    )


# ---- Recovery after a broken dialogue ------------------------------------------------------


def recover_payment(dialogue_id: int) -> TerminalTransaction:
    """Ask the terminal for its last result and settle an unclear payment with it.

    - last result approved, same amount, receipt number not booked on another payment:
      the customer was charged. The payment is confirmed, or, when its order can no longer
      take the money, reversed on the terminal.
    - last result declined or aborted with the same amount, or a receipt that belongs to
      an earlier payment: our authorization never went through; the payment failed.
    - no answer, or an answer that fits none of these: the payment stays unclear.

    NOTE: a terminal identifies its last transaction by receipt and trace number only;
    the till cannot send its own reference with 06 01, so a decline with the same amount
    of a transaction started on the terminal's keypad would be taken for ours.
    """
    dialogue = TerminalTransaction.objects.select_related("terminal", "payment__order").get(
        pk=dialogue_id
    )
    if dialogue.state != TransactionState.UNCLEAR or dialogue.kind != TransactionKind.PAYMENT:
        return dialogue
    TerminalTransaction.objects.filter(pk=dialogue.pk).update(
        recovery_attempts=dialogue.recovery_attempts + 1
    )
    client = client_for(dialogue.terminal)
    try:
        outcome = client.repeat_receipt()
    except TerminalError as error:
        logger.warning("terminal transaction %s: recovery failed: %s", dialogue.pk, error)
        return dialogue

    status = outcome.status
    if status is None or status.result_code is None:
        logger.warning("terminal transaction %s: last result without a status", dialogue.pk)
        return dialogue

    booked_elsewhere = booked_on_other_transaction(dialogue, status)
    same_amount = status.amount_cents == dialogue.amount_cents
    if status.approved and same_amount and not booked_elsewhere:
        logger.info("terminal transaction %s: recovery found the approval", dialogue.pk)
        _settle_recovered_approval(dialogue, client, status, outcome.receipt_lines)
    elif booked_elsewhere or (not status.approved and same_amount):
        logger.info("terminal transaction %s: recovery found no charge", dialogue.pk)
        _decline(
            dialogue,
            status.result_code if not status.approved else ABORTED,
            cause="card terminal reported no charge after a broken connection",
        )
    else:
        logger.warning("terminal transaction %s: last result does not fit", dialogue.pk)
    dialogue.refresh_from_db()
    return dialogue


def booked_on_other_transaction(dialogue: TerminalTransaction, status: StatusInformation) -> bool:
    """Tell whether the receipt number of a last result belongs to another finished transaction."""
    return (
        status.receipt_number is not None
        and TerminalTransaction.objects.filter(
            terminal=dialogue.terminal,
            receipt_number=status.receipt_number,
            state__in=(TransactionState.APPROVED, TransactionState.REVERSED),
        )
        .exclude(pk=dialogue.pk)
        .exists()
    )


def _settle_recovered_approval(dialogue, client, status, receipt_lines) -> None:
    order = dialogue.payment.order
    order.refresh_from_db()
    if order.state in PAYABLE_STATES:
        _confirm(
            dialogue,
            status,
            receipt_lines,
            cause="approval read from the card terminal after a broken connection",
        )
        return

    # The order was canceled or paid another way meanwhile: give the money back.
    try:
        reversal = client.reverse(status.receipt_number)
    except TerminalError as error:
        logger.warning("terminal transaction %s: reversal failed: %s", dialogue.pk, error)
        return
    if not reversal.success:
        logger.warning(
            "terminal transaction %s: reversal rejected with result code %s",
            dialogue.pk,
            reversal.result_code,
        )
        return
    apply_provider_result(
        ProviderResult(
            payment_reference=str(dialogue.payment.reference),
            state=PaymentState.FAILED,
            data={
                **_payment_data(status, receipt_lines),
                "reversal_receipt_lines": reversal.receipt_lines,
            },
        ),
        cause="approved after a broken connection and reversed: order no longer payable",
    )
    _finish(
        dialogue,
        TransactionState.REVERSED,
        message=str(REVERSED_AFTER_RECOVERY),
        result_code=0,
        receipt_lines=receipt_lines + reversal.receipt_lines,
        status=status,
    )
