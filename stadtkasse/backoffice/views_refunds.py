"""Back office pages of the clarification queue and of refunds on the order detail page."""

import logging
import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stadtkasse.backoffice import ledger
from stadtkasse.backoffice.access import staff_required
from stadtkasse.backoffice.forms_refunds import AcceptForm, AssignForm, RefundForm
from stadtkasse.backoffice.views_banking import open_line_count
from stadtkasse.core.money import format_cents
from stadtkasse.payments.clarification import (
    accept_payment,
    assign_payment,
    clarification_queue,
    refund_flagged_payment,
)
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import Payment, PaymentMethod, Refund, RefundState
from stadtkasse.payments.refunds import (
    complete_refund,
    needs_payee,
    payer_account,
    refund_order,
    refund_payment,
    refundable_cents,
)
from stadtkasse.payments.services import open_amount_cents

logger = logging.getLogger(__name__)

# URL names the bank statement feature may give its page of unmatched statement lines.
UNMATCHED_LINES_URLS = ("backoffice:bank_statements",)
# Refunds that a person completes in the back office; the others complete by provider,
# terminal or transfer file.
MANUAL_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD_EXTERNAL)
FULL_ORDER = "all"


@dataclass
class QueueEntry:
    """A payment in the queue with what the treasury needs to decide, and its three forms."""

    payment: Payment
    open_cents: int
    refundable_cents: int
    payer_name: str
    payer_iban: str
    refund_form: RefundForm
    assign_form: AssignForm = field(default_factory=AssignForm)
    accept_form: AcceptForm = field(default_factory=AcceptForm)
    error: str = ""
    action: str = ""


@require_GET
@staff_required("payments.clarify_payment")
def queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


@require_POST
@staff_required("payments.clarify_payment")
def clarify(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    payment = _flagged_payment(request, reference)
    forms = {"refund": RefundForm, "assign": AssignForm, "accept": AcceptForm}
    if action not in forms:
        raise Http404(action)
    form = forms[action](request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})

    try:
        if action == "accept":
            accept_payment(payment, user=request.user, reason=data.get("reason", ""))
            text = _("The payment now counts for order %(code)s as it is.")
        elif action == "assign":
            payment = assign_payment(
                payment,
                target=data.get("target", ""),
                user=request.user,
                reason=data.get("reason", ""),
            )
            text = _("The payment was assigned to order %(code)s.")
        else:
            refund_flagged_payment(
                payment,
                amount_cents=form.amount_cents(refundable_cents(payment)),
                user=request.user,
                reason=data.get("reason", ""),
                payee=form.payee(),
                request_token=data.get("request_token") or None,
            )
            text = _("The refund for order %(code)s was recorded.")
    except PaymentError as error:
        logger.info("clarification %s of payment %s rejected: %s", action, reference, error.code)
        return _render_queue(request, failed=(payment.pk, action, form, error.message), status=400)

    payment.refresh_from_db()
    messages.success(request, text % {"code": payment.order.code})
    return redirect("backoffice:clarification_queue")


@require_POST
@staff_required("payments.refund_payment")
def refund(request: HttpRequest, code: str) -> HttpResponse:
    """Refund one payment of an order, or all of them with the choice ``all``."""
    order = ledger.load_order(request.municipality, code)
    if order is None:
        raise Http404(code)
    form = RefundForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    choice = request.POST.get("payment", "")
    token = data.get("request_token") or None

    try:
        if choice == FULL_ORDER:
            payee = form.payee()
            payees = {
                payment.pk: payee
                for payment in order.payments.all()
                if payee and needs_payee(payment)
            }
            refunds = refund_order(
                order,
                user=request.user,
                reason=data.get("reason", ""),
                payees=payees,
                request_token=token,
            )
        else:
            payment = order.payments.filter(pk=_int_or_none(choice)).first()
            if payment is None:
                raise Http404(choice)
            refunds = [
                refund_payment(
                    payment,
                    amount_cents=form.amount_cents(refundable_cents(payment)),
                    reason=data.get("reason", ""),
                    user=request.user,
                    payee=form.payee(),
                    request_token=token,
                )
            ]
    except PaymentError as error:
        logger.info("refund of order %s rejected: %s", order.code, error.code)
        messages.error(request, error.message)
        return redirect(_refunds_anchor(order.code))

    total = sum(item.amount_cents for item in refunds)
    messages.success(
        request,
        _("Refund of %(amount)s recorded: %(states)s.")
        % {
            "amount": format_cents(total),
            "states": ", ".join(str(item.get_state_display()) for item in refunds),
        },
    )
    return redirect(_refunds_anchor(order.code))


@require_POST
@staff_required("payments.refund_payment")
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that cash was paid out, or a card refund was made on the stand-alone terminal."""
    item = (
        Refund.objects.filter(pk=pk, payment__order__municipality=request.municipality)
        .select_related("payment__order")
        .first()
    )
    if item is None:
        raise Http404(pk)
    code = item.payment.order.code
    if item.method not in MANUAL_METHODS:
        messages.error(
            request, PaymentError("refund_wrong_method", method=item.get_method_display()).message
        )
    elif item.state != RefundState.PENDING:
        messages.error(
            request, PaymentError("refund_not_pending", state=item.get_state_display()).message
        )
    else:
        cause = (
            "paid out in cash" if item.method == PaymentMethod.CASH else "refunded on the terminal"
        )
        complete_refund(item, cause=f"{cause}, confirmed in the back office", user=request.user)
        messages.success(request, _("The refund is marked as done."))
    return redirect(_refunds_anchor(code))


def _render_queue(request: HttpRequest, *, failed=None, status: int = 200) -> HttpResponse:
    entries = []
    for payment in clarification_queue(request.municipality):
        account = payer_account(payment)
        payment.needs_payee = needs_payee(payment)
        entry = QueueEntry(
            payment=payment,
            open_cents=open_amount_cents(payment.order),
            refundable_cents=refundable_cents(payment),
            payer_name=account.name if account else "",
            payer_iban=account.iban if account else "",
            refund_form=RefundForm(
                initial={
                    "payee_name": account.name if account else "",
                    "payee_iban": account.iban if account else "",
                }
            ),
        )
        if failed and failed[0] == payment.pk:
            _pk, action, form, entry.error = failed
            entry.action = action
            setattr(entry, f"{action}_form", form)
        entries.append(entry)
    return TemplateResponse(
        request,
        "backoffice/refunds/queue.html",
        {
            "entries": entries,
            "unmatched_lines_url": _unmatched_lines_url(),
            "unmatched_line_count": open_line_count(request),
        },
        status=status,
    )


def _flagged_payment(request: HttpRequest, reference: str) -> Payment:
    payment = (
        Payment.objects.filter(order__municipality=request.municipality, reference=_uuid(reference))
        .select_related("order__municipality")
        .first()
    )
    if payment is None:
        raise Http404(reference)
    return payment


def _unmatched_lines_url() -> str:
    """Return the page of unmatched bank statement lines, where the banking feature has one."""
    for name in UNMATCHED_LINES_URLS:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _refunds_anchor(code: str) -> str:
    return reverse("backoffice:order", args=[code]) + "#refunds"


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
