"""Price order lines on the server from product ids, variant ids, quantities and answers.

Nothing a client sends is taken as a price: the client names what it wants, the catalog
says what it costs. All lines are resolved with a fixed number of queries, whatever the
size of the catalog; the products come from the per-process copy of ``catalog.cache``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from stadtkasse.catalog.cache import is_sellable, products_for_sale
from stadtkasse.catalog.models import ApplicationField, FieldKind, Product, Variant, age_on
from stadtkasse.core.models import Municipality, PointOfSale
from stadtkasse.core.money import vat_from_gross
from stadtkasse.orders.errors import SaleError

MAX_QUANTITY = 100
MAX_LINES = 50
# Oldest plausible applicant; an older date of birth is taken as a typing error.
MAX_AGE = 120


@dataclass
class LineRequest:
    """A line as a client requests it; every field is untrusted input."""

    product_id: object
    variant_id: object = None
    quantity: object = 1
    answers: dict = field(default_factory=dict)


@dataclass
class PricedLine:
    product: Product
    variant: Variant
    quantity: int
    answers: dict

    @property
    def unit_price_cents(self) -> int:
        return self.variant.price_cents

    @property
    def total_cents(self) -> int:
        return self.variant.price_cents * self.quantity

    @property
    def vat_rate(self) -> int:
        return self.product.vat_rate

    @property
    def vat_cents(self) -> int:
        return vat_from_gross(self.total_cents, self.vat_rate)

    @property
    def description(self) -> str:
        if self.variant.name in ("", self.product.name):
            return self.product.name
        return f"{self.product.name} – {self.variant.name}"


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def price_lines(
    municipality: Municipality,
    requests: list[LineRequest],
    *,
    channel: str,
    point_of_sale: PointOfSale | None = None,
    today: date | None = None,
    empty_code: str = "empty_sale",
) -> list[PricedLine]:
    """Validate and price the requested lines; raise SaleError on the first bad one."""
    if not requests:
        raise SaleError(empty_code)
    if len(requests) > MAX_LINES:
        raise SaleError("too_many_lines", maximum=MAX_LINES)

    ids = {_to_int(request.product_id) for request in requests}
    products = products_for_sale(municipality, {pk for pk in ids if pk is not None})
    # The applicant's age counts on the calendar day in the municipality's time zone.
    today = today or timezone.localdate()

    priced = []
    for request in requests:
        product = products.get(_to_int(request.product_id))
        if product is None:
            raise SaleError("unknown_product", product=request.product_id)
        if not is_sellable(product, channel, point_of_sale):
            raise SaleError("product_not_available", product=product.name)

        if request.quantity is None or str(request.quantity).strip() == "":
            raise SaleError("missing_quantity", product=product.name)
        quantity = _to_int(request.quantity)
        if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
            raise SaleError(
                "invalid_quantity",
                quantity=request.quantity,
                product=product.name,
                maximum=MAX_QUANTITY,
            )

        # Application data belongs to one person, so such a line is always for one.
        if quantity != 1 and product.fields.all():
            raise SaleError("one_per_application", product=product.name)

        answers, age = clean_answers(product, request.answers or {}, today)
        variant = choose_variant(product, request.variant_id, age)
        priced.append(PricedLine(product, variant, quantity, answers))
    return priced


def choose_variant(product: Product, variant_id: object, age: int | None) -> Variant:
    """Pick the variant: by the applicant's age where the product prices by age, else by id."""
    variants = list(product.variants.all())
    if not variants:
        raise SaleError("product_not_available", product=product.name)
    if age is not None and any(v.min_age is not None or v.max_age is not None for v in variants):
        for variant in variants:
            if variant.fits_age(age):
                return variant
        raise SaleError("no_price_band", product=product.name, age=age)
    if variant_id in (None, "") and len(variants) == 1:
        return variants[0]
    wanted = _to_int(variant_id)
    for variant in variants:
        if variant.pk == wanted:
            return variant
    raise SaleError("unknown_variant", variant=variant_id or "", product=product.name)


def parse_date(text: str) -> date | None:
    """Parse a date typed as DD.MM.YYYY or sent as YYYY-MM-DD by a date input."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def clean_answers(product: Product, raw: dict, today: date) -> tuple[dict, int | None]:
    """Check the application answers of a product; return them with the applicant's age.

    Answers are stored as ``{key: {"label": ..., "value": ...}}`` so that staff see the
    question as it was asked. Keys the product does not ask for are dropped.
    """
    cleaned: dict = {}
    age = None
    field_: ApplicationField
    for field_ in product.fields.all():
        value = str(raw.get(field_.key, "") or "").strip()[:500]
        if not value:
            if field_.required:
                raise SaleError("missing_answer", field=field_.label, product=product.name)
            continue

        if field_.kind in (FieldKind.DATE, FieldKind.BIRTH_DATE):
            parsed = parse_date(value)
            if parsed is None:
                raise SaleError("invalid_date", value=value, field=field_.label)
            if field_.kind == FieldKind.BIRTH_DATE:
                if parsed > today:
                    raise SaleError(
                        "date_in_future", value=parsed.strftime("%d.%m.%Y"), field=field_.label
                    )
                age = age_on(parsed, today)
                if age > MAX_AGE:
                    raise SaleError(
                        "date_implausible",
                        value=parsed.strftime("%d.%m.%Y"),
                        field=field_.label,
                        years=MAX_AGE,
                    )
            value = parsed.isoformat()
        elif field_.kind == FieldKind.NUMBER:
            if _to_int(value) is None:
                raise SaleError("invalid_number", value=value, field=field_.label)
        elif field_.kind == FieldKind.CHOICE and value not in field_.choice_list():
            raise SaleError("invalid_choice", value=value, field=field_.label)

        cleaned[field_.key] = {"label": field_.label, "value": value}
    return cleaned, age
