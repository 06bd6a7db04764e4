"""Money as integer euro cents.

Prices are gross (Bruttopreise). The VAT contained in a gross amount is computed once per
order line and rounded half up to whole cents; totals per rate are sums of line values.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

# Digits grouped by three with dots: "1.000", "12.500", "1.000.000".
THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
# The dashes of whole euros written "10,-" or "10,--".
WHOLE_EUROS = re.compile(r",-{1,2}$")
# An amount once the thousands are removed and the decimal sign is a point.
PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")


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
    """Parse an amount typed in euros into cents: ``12,50``, ``1.000,00``, ``1.000``, ``10,-``.

    A comma is the decimal sign, and dots before it group thousands. Without a comma, dots
    that group the digits by three are thousands as well: ``1.000`` is a thousand euros,
    as a German reader takes it. A single other dot is a decimal point (``12.50``).
    Raises ValueError for text that is not an amount with at most two decimals.
    """
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    # "10,-" and "10,--" are whole euros, as price tags write them.
    cleaned = WHOLE_EUROS.sub("", cleaned)
    whole, comma, decimals = cleaned.partition(",")
    if comma or THOUSANDS.fullmatch(cleaned):
        if "." in whole and not THOUSANDS.fullmatch(whole):
            raise ValueError(f"not an amount: {text!r}")
        cleaned = whole.replace(".", "") + ("." + decimals if comma else "")
    if not PLAIN_AMOUNT.fullmatch(cleaned):
        raise ValueError(f"not an amount with at most two decimals: {text!r}")
    return int(Decimal(cleaned) * 100)
