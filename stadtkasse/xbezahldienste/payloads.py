"""The JSON documents of XBezahldienste 1.0: the payment request we send, and how to read
the payment transaction the platform returns.

Field names follow the XBezahldienste 1.0 data model as the EUPL-licensed Gover form
server implements it (aivot-digital/gover, src/main/java/de/aivot/GoverBackend/payment/
models/XBezahldienste*.java): a PaymentRequest with requestId, requestTimestamp, currency,
grosAmount (sic), purpose, description, redirectUrl and items; a PaymentTransaction with
paymentRequest and paymentInformation (transactionId, transactionRedirectUrl, status, …).
NOTE: the official OpenAPI file of KoSIT/FITKO was not at hand; field names and limits
(purpose at most 27 characters, ids at most 36) are taken from that implementation.
"""

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext

from stadtkasse.payments.models import PaymentState
from stadtkasse.payments.providers.base import ProviderError

# Platform status -> payment state. INITIAL: created, the citizen has not finished yet.
PLATFORM_STATES = {
    "INITIAL": PaymentState.PENDING,
    "PAYED": PaymentState.CONFIRMED,
    "FAILED": PaymentState.FAILED,
    "CANCELED": PaymentState.CANCELED,
}

PURPOSE_MAX_LENGTH = 27
ID_MAX_LENGTH = 36
TEXT_MAX_LENGTH = 250
NOT_PURPOSE_CHARACTERS = re.compile(r"[^\w \-]")
NOT_ID_CHARACTERS = re.compile(r"[^\w\-]")


def euros(cents: int) -> float:
    """Return cents as a JSON number of euros; cents / 100 prints with at most two decimals."""
    return cents / 100


def cents_of(value) -> int | None:
    """Read a JSON amount in euros as whole cents; None for a missing or broken amount."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value)) * 100
    except InvalidOperation:
        return None
    if amount != amount.to_integral_value():
        return None
    return int(amount)


def _clean(value: str, pattern: re.Pattern, limit: int) -> str:
    return pattern.sub("", value).strip()[:limit]


def _tax_of(gross_cents: int, rate_basis_points: int) -> int:
    """Return the VAT contained in a gross amount, rounded half up to whole cents."""
    if rate_basis_points <= 0:
        return 0
    tax = Decimal(gross_cents) * rate_basis_points / (10000 + rate_basis_points)
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def booking_value(line, source: str) -> str:
    if source == "kassenzeichen":
        return line.order.kassenzeichen
    return getattr(line, source, "") or ""


def payment_item(line, platform) -> dict:
    """Describe one order line as a payment item with its booking data."""
    single_tax = _tax_of(line.unit_price_cents, line.vat_rate)
    booking_data = {}
    for source, key in (platform.booking_keys or {}).items():
        value = booking_value(line, source)
        if value:
            booking_data[key] = value[:TEXT_MAX_LENGTH]
    return {
        "id": str(line.pk),
        "reference": _clean(
            booking_value(line, platform.item_reference_source), NOT_ID_CHARACTERS, ID_MAX_LENGTH
        ),
        "description": line.description[:TEXT_MAX_LENGTH],
        "taxRate": line.vat_rate / 100,
        "quantity": line.quantity,
        "singleNetAmount": euros(line.unit_price_cents - single_tax),
        "singleTaxAmount": euros(single_tax),
        "totalNetAmount": euros(line.total_cents - line.vat_cents),
        "totalTaxAmount": euros(line.vat_cents),
        "bookingData": booking_data,
    }


def payment_request(payment, platform, *, redirect_url: str) -> dict:
    """Build the payment request for a payment of a whole order.

    The requestId is our payment reference, so a status response can be matched to the
    payment. No personal data of the payer (the optional requestor) is sent.
    """
    order = payment.order
    lines = list(order.lines.select_related("order").all())
    total = sum(line.total_cents for line in lines)
    if not lines or total != payment.amount_cents:
        raise ProviderError(
            f"order {order.code}: the lines add up to {total} cents, "
            f"the payment is {payment.amount_cents} cents"
        )

    purpose_value = (
        order.kassenzeichen if platform.purpose_source == "kassenzeichen" else order.code
    )
    with translation.override(order.locale or "de"):
        description = gettext("%(municipality)s, order %(code)s") % {
            "municipality": order.municipality.name,
            "code": order.code,
        }
    return {
        "requestId": str(payment.reference),
        "requestTimestamp": datetime.now(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "currency": "EUR",
        "grosAmount": euros(total),
        "purpose": _clean(purpose_value, NOT_PURPOSE_CHARACTERS, PURPOSE_MAX_LENGTH),
        "description": description[:TEXT_MAX_LENGTH],
        "redirectUrl": redirect_url,
        "items": [payment_item(line, platform) for line in lines],
    }


def payment_information(document, *, platform_name: str) -> dict:
    """Return the paymentInformation of a PaymentTransaction; raise ProviderError if broken."""
    if not isinstance(document, dict) or not isinstance(document.get("paymentInformation"), dict):
        raise ProviderError(f"{platform_name}: response has no paymentInformation object")
    information = document["paymentInformation"]
    if not str(information.get("transactionId") or ""):
        raise ProviderError(f"{platform_name}: response has no transactionId")
    status = information.get("status")
    if status not in PLATFORM_STATES:
        raise ProviderError(f"{platform_name}: unknown transaction status {status!r}")
    return information
