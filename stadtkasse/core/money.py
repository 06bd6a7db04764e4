"""Money as integer euro cents.

Prices are gross (Bruttopreise). The VAT contained in a gross amount is computed once per
order line and rounded half up to whole cents; totals per rate are sums of line values.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def vat_from_gross(gross_cents: int, rate_basis_points: int) -> int:
    """Return the VAT in cents contained in a gross amount, rounded half up.

    ``rate_basis_points`` is the rate in hundredths of a percent: 1900 for 19 %.
    """
    if rate_basis_points <= 0:
        return 0
    net = Decimal(gross_cents) * 10000 / (10000 + rate_basis_points)
    vat = Decimal(gross_cents) - net
    return int(vat.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int) -> str:
    """Format cents the German way: ``1234`` becomes ``12,34 €``."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", ".")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


def parse_euros(text: str) -> int:
    """Parse an amount typed in euros (``12,50``, ``12.50``, ``12``) into cents.

    Raises ValueError for text that is not an amount with at most two decimals.
    """
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {text!r}") from error
    if not value.is_finite() or value != value.quantize(CENT):
        raise ValueError(f"not an amount with at most two decimals: {text!r}")
    return int(value * 100)
