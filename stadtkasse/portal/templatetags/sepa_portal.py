"""Show the transfer details or the pre-notification of an order's open SEPA payment."""

from django import template

from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.models import DirectDebit
from stadtkasse.sepa.services import transfer_details

register = template.Library()


@register.inclusion_tag("portal/sepa/order_payment.html")
def sepa_payment_details(order) -> dict:
    """Return the latest pending transfer or debit of the order for the order page."""
    payment = (
        order.payments.filter(
            state=PaymentState.PENDING,
            method__in=[PaymentMethod.TRANSFER, PaymentMethod.SEPA_DEBIT],
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if payment is None or order.is_paid:
        return {}
    payment.order = order
    if payment.method == PaymentMethod.TRANSFER:
        try:
            return {"details": transfer_details(payment), "payment": payment}
        except SepaError:
            return {}
    debit = DirectDebit.objects.select_related("mandate").filter(payment=payment).first()
    return {"debit": debit, "mandate": debit.mandate if debit else None, "payment": payment}


@register.filter
def mandate_paragraphs(text: str) -> list[list[str]]:
    """Split a mandate text into paragraphs (blank-line separated) of lines."""
    paragraphs = [[]]
    for line in (text or "").splitlines():
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]
