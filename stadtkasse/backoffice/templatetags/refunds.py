"""The refunds section of the back office order detail page."""

from django import template

from stadtkasse.backoffice.forms_refunds import RefundForm
from stadtkasse.payments.models import PaymentMethod, RefundState
from stadtkasse.payments.refunds import needs_payee, refundable_cents
from stadtkasse.payments.services import open_amount_cents

register = template.Library()


@register.inclusion_tag("backoffice/refunds/order_section.html", takes_context=True)
def order_refunds(context, order, payments) -> dict:
    """Render an order's refunds with their events, and the refund form for permitted users."""
    user = context["request"].user
    refundable = [
        (payment, refundable_cents(payment))
        for payment in payments
        if payment.state == "confirmed" and not payment.needs_clarification
    ]
    refunds = [item for payment in payments for item in payment.refunds.all()]
    return {
        "order": order,
        "refunds": refunds,
        "refundable": [(payment, cents) for payment, cents in refundable if cents > 0],
        "open_cents": open_amount_cents(order),
        "may_refund": user.has_perm("payments.refund_payment"),
        "form": RefundForm(),
        "needs_account": any(needs_payee(payment) for payment, _c in refundable),
        "manual_methods": (PaymentMethod.CASH, PaymentMethod.CARD_EXTERNAL),
        "pending": RefundState.PENDING,
        "messages": context.get("messages"),
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
    }


@register.filter
def refund_state(value: str) -> str:
    """Return the label of a refund state, or the value itself where it is unknown."""
    try:
        return str(RefundState(value).label)
    except ValueError:
        return value
