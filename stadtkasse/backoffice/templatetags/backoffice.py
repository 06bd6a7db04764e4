"""Template filters of the back office for money and VAT rates."""

from django import template

from stadtkasse.backoffice.event_causes import cause_label
from stadtkasse.backoffice.ledger import percent
from stadtkasse.catalog.models import VatTreatment
from stadtkasse.core.money import format_cents
from stadtkasse.orders.answers import answer_text as orders_answer_text
from stadtkasse.payments.models import PaymentState

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """Format cents as German euros: ``1234`` becomes ``12,34 €``."""
    return format_cents(cents or 0)


@register.filter
def vat_percent(basis_points: int) -> str:
    """Format a VAT rate in basis points: 1900 becomes ``19 %``."""
    return f"{percent(basis_points)}\u00a0%"


@register.filter
def payment_state(value: str) -> str:
    """Return the label of a payment state, or the value itself where it is unknown."""
    try:
        return str(PaymentState(value).label)
    except ValueError:
        return value


@register.filter
def vat_treatment(value: str) -> str:
    """Return the label of a VAT treatment, or the value itself where it is unknown."""
    try:
        return str(VatTreatment(value).label)
    except ValueError:
        return value


@register.filter
def answer_text(value) -> str:
    """Show an application answer; dates stored as YYYY-MM-DD become DD.MM.YYYY."""
    return orders_answer_text(value)


@register.filter
def event_cause(value: str) -> str:
    """Return the translated label of a payment or refund event's cause."""
    return cause_label(str(value))
