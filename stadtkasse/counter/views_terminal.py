"""Till endpoints of the card terminal: card sales, refunds, polling, abort, recovery, closing.

The till's script starts a payment with a POST and then polls the transaction's status
every second; the ZVT dialogue runs in a background thread and writes its progress into
the database, so any server process can answer the poll.
"""

import logging

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stadtkasse.core.models import PointOfSale
from stadtkasse.counter.errors import CounterError
from stadtkasse.counter.forms import parse_sale_request
from stadtkasse.counter.services import till_token
from stadtkasse.counter.views import _error_json, till_api
from stadtkasse.orders.errors import SaleError
from stadtkasse.terminals import refunds as terminal_refunds
from stadtkasse.terminals import services
from stadtkasse.terminals.errors import TerminalUseError
from stadtkasse.terminals.models import (
    Charged,
    TerminalTransaction,
    TransactionKind,
    TransactionState,
)

logger = logging.getLogger(__name__)


REFUND_KINDS = (TransactionKind.REVERSAL, TransactionKind.REFUND)


def _headline(dialogue: TerminalTransaction) -> str:
    if dialogue.kind in REFUND_KINDS:
        return _refund_headline(dialogue)
    if dialogue.kind == TransactionKind.END_OF_DAY:
        return _closing_headline(dialogue)
    if dialogue.state == TransactionState.RUNNING:
        return _("Payment on the terminal is running")
    if dialogue.charged == Charged.YES:
        return _("Customer was charged")
    if dialogue.charged == Charged.NO:
        return _("Customer was not charged")
    return _("Unclear – please check the terminal")


def _closing_headline(dialogue: TerminalTransaction) -> str:
    # A closing moves no customer's money, so it has no "charged" headline.
    if dialogue.state == TransactionState.RUNNING:
        return _("End-of-day closing on the terminal is running")
    if dialogue.state == TransactionState.APPROVED:
        return _("End-of-day closing completed")
    if dialogue.state == TransactionState.UNCLEAR:
        return _("Unclear – please check the terminal")
    return _("End-of-day closing failed")


def _refund_headline(dialogue: TerminalTransaction) -> str:
    if dialogue.state == TransactionState.RUNNING:
        return _("Refund on the terminal is running")
    if dialogue.state == TransactionState.APPROVED:
        return _("Refund completed")
    if dialogue.state == TransactionState.UNCLEAR:
        return _("Unclear – please check the terminal")
    return _("Nothing was refunded")


def transaction_data(dialogue: TerminalTransaction) -> dict:
    """Return the state of a terminal transaction as the till's script shows it."""
    pos_id = dialogue.terminal.point_of_sale_id
    base = {"pos_id": pos_id, "transaction_id": dialogue.pk}
    data = {
        "id": dialogue.pk,
        "kind": dialogue.kind,
        "state": dialogue.state,
        "charged": dialogue.charged,
        "headline": _headline(dialogue),
        "status_text": dialogue.status_text,
        "message": dialogue.message,
        "receipt_lines": dialogue.receipt_lines,
        "abort_requested": dialogue.abort_requested,
        "urls": {
            "status": reverse("counter:terminal_status", kwargs=base),
            "abort": reverse("counter:terminal_abort", kwargs=base),
            "recover": reverse("counter:terminal_recover", kwargs=base),
            "cancel_order": reverse("counter:terminal_cancel_order", kwargs=base),
            "retry": reverse("counter:terminal_retry", kwargs=base),
        },
        "order": None,
        "refund": None,
    }
    if dialogue.refund_id is not None:
        data["refund"] = {
            "id": dialogue.refund_id,
            "state": dialogue.refund.state,
            "amount_cents": dialogue.refund.amount_cents,
        }
    if dialogue.payment_id is not None:
        order = dialogue.payment.order
        data["order"] = {
            "order": order.code,
            "state": order.state,
            "kassenzeichen": order.kassenzeichen_display,
            "total_cents": order.total_cents,
            "change_cents": None,
            "receipt_url": reverse("counter:receipt", args=[order.code]),
            "receipt_pdf_url": reverse("counter:receipt_pdf", args=[order.code]),
        }
    return data


def _load_transaction(point_of_sale: PointOfSale, transaction_id: int) -> TerminalTransaction:
    try:
        return TerminalTransaction.objects.select_related(
            "terminal", "payment__order", "payment__order__municipality", "refund"
        ).get(pk=transaction_id, terminal__point_of_sale=point_of_sale)
    except TerminalTransaction.DoesNotExist as error:
        raise Http404("no such terminal transaction") from error


@require_POST
@till_api
def pay(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """Store the sale as an open order and start its card payment on the terminal."""
    try:
        sale_request = parse_sale_request(request.body)
        dialogue = services.sell_by_terminal(
            point_of_sale,
            request.user,
            sale_request.lines,
            submit_token=till_token(point_of_sale, request.user, sale_request.token),
        )
    except (CounterError, SaleError, TerminalUseError) as error:
        logger.info("terminal sale rejected: pos=%s code=%s", point_of_sale.pk, error.code)
        return _error_json(error)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue), status=201)


@require_GET
@till_api
def status(request: HttpRequest, point_of_sale: PointOfSale, transaction_id: int) -> JsonResponse:
    """Report the state of a terminal transaction; marks one left behind as unclear."""
    dialogue = _load_transaction(point_of_sale, transaction_id)
    if dialogue.state == TransactionState.RUNNING:
        services.mark_stale_transactions(dialogue.terminal)
        dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue))


@require_POST
@till_api
def abort(request: HttpRequest, point_of_sale: PointOfSale, transaction_id: int) -> JsonResponse:
    """Ask the terminal to abort the running payment (06 B0)."""
    dialogue = _load_transaction(point_of_sale, transaction_id)
    services.request_abort(dialogue)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue))


@require_POST
@till_api
def recover(request: HttpRequest, point_of_sale: PointOfSale, transaction_id: int) -> JsonResponse:
    """Ask the terminal again for the result of an unclear payment."""
    dialogue = _load_transaction(point_of_sale, transaction_id)
    try:
        services.start_recovery(dialogue)
    except TerminalUseError as error:
        return _error_json(error)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue))


@require_POST
@till_api
def cancel_order(
    request: HttpRequest, point_of_sale: PointOfSale, transaction_id: int
) -> JsonResponse:
    """Cancel the open order of a declined card payment."""
    dialogue = _load_transaction(point_of_sale, transaction_id)
    try:
        services.cancel_unpaid_order(dialogue, request.user)
    except TerminalUseError as error:
        return _error_json(error)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue))


@require_POST
@till_api
def end_of_day(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """Start the end-of-day closing of the till's terminal (supervisors and treasury)."""
    try:
        dialogue = services.start_end_of_day(point_of_sale, request.user)
    except TerminalUseError as error:
        return _error_json(error, status=403 if error.code == "not_allowed" else 400)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue), status=201)


@require_POST
@till_api
def retry(request: HttpRequest, point_of_sale: PointOfSale, transaction_id: int) -> JsonResponse:
    """Start a new card payment for the open order of a declined or failed one."""
    dialogue = _load_transaction(point_of_sale, transaction_id)
    if dialogue.state in (TransactionState.RUNNING, TransactionState.UNCLEAR):
        return _error_json(TerminalUseError("not_finished"))
    try:
        again = services.start_payment(dialogue.payment.order, point_of_sale, request.user)
    except TerminalUseError as error:
        return _error_json(error)
    again.refresh_from_db()
    return JsonResponse(transaction_data(again), status=201)


def _refund_data(point_of_sale: PointOfSale, refund) -> dict:
    order = refund.payment.order
    last = refund.terminal_attempts[0] if refund.terminal_attempts else None
    return {
        "id": refund.pk,
        "order": order.code,
        "kassenzeichen": order.kassenzeichen_display,
        "amount_cents": refund.amount_cents,
        "reason": refund.reason,
        "created": date_format(timezone.localtime(refund.created_at), "d.m.Y H:i"),
        "last_attempt": (
            {"state": last.state, "state_label": last.get_state_display(), "message": last.message}
            if last is not None
            else None
        ),
        "start_url": reverse(
            "counter:terminal_refund_start",
            kwargs={"pos_id": point_of_sale.pk, "refund_id": refund.pk},
        ),
    }


@require_GET
@till_api
def refunds(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """List the municipality's pending card terminal refunds (supervisors and treasury)."""
    if not terminal_refunds.may_refund(request.user):
        return _error_json(TerminalUseError("not_allowed"), status=403)
    items = terminal_refunds.pending_terminal_refunds(point_of_sale.municipality)
    return JsonResponse({"refunds": [_refund_data(point_of_sale, item) for item in items]})


@require_POST
@till_api
def start_refund(request: HttpRequest, point_of_sale: PointOfSale, refund_id: int) -> JsonResponse:
    """Start a pending card terminal refund on the till's terminal (supervisors and treasury)."""
    if not terminal_refunds.may_refund(request.user):
        return _error_json(TerminalUseError("not_allowed"), status=403)
    refund = terminal_refunds.find_refund(point_of_sale.municipality, refund_id)
    if refund is None:
        return _error_json(TerminalUseError("refund_not_found"), status=404)
    try:
        dialogue = terminal_refunds.start_terminal_refund(
            services.terminal_for(point_of_sale), refund, request.user
        )
    except TerminalUseError as error:
        logger.info(
            "terminal refund rejected: pos=%s refund=%s code=%s",
            point_of_sale.pk,
            refund_id,
            error.code,
        )
        return _error_json(error)
    dialogue.refresh_from_db()
    return JsonResponse(transaction_data(dialogue), status=201)
