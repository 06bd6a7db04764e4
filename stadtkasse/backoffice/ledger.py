"""The ledger as staff read it: filtered orders of every channel, their totals, the CSV export.

Dates in filters are calendar days in Europe/Berlin, while the database stores UTC. A day runs from
local midnight to the next local midnight, so the days of the DST switch have 23 and 25
hours and no order falls between two days or onto two days.

Totals are computed by the database (``SUM`` with ``GROUP BY``), so the page needs the same
number of queries for five orders as for five hundred thousand.

Refunds count once they are done, that is once the money went back (see REFUNDED_STATES).
They are shown three ways:

- Per payment method: paid in, refunded and the net. A refund is counted under the method
  it went out by (``Refund.method``). That is the method of the payment, except for an
  e-payment whose provider cannot refund, which goes back by bank transfer.
- Per VAT treatment: a refund reduces the sales of its order. Where the data shows exactly
  which sales were refunded, the refund is split over the VAT rates. A full refund takes
  back every line with its VAT. A partial refund of an order whose lines all have one VAT
  treatment and rate takes VAT at that rate. A partial refund of an order with several
  rates is not split, because the data does not say which lines were refunded. A split in
  proportion to the order's gross could put VAT on the wrong rate. The page shows these
  amounts in a separate line under the VAT table, for the treasury to assign from the
  order. A refund of an overpayment (the part of the payments above the order total) is
  money back but no sale, so it reduces no sales.
- In the order list and in the CSV export, per order.

The CSV export keeps one row per order line, and an accountant can sum every column
without counting a refund twice. The refunded amount of the order and its refunded sales
not split by VAT rate are written on the first exported line of the order only. The
refunded sales split by VAT rate, with their VAT, are written per line, as on the page.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from stadtkasse.catalog.models import VatTreatment
from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality
from stadtkasse.orders.models import Order, OrderLine, OrderState
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState, Refund, RefundState

BERLIN = ZoneInfo("Europe/Berlin")

# The state filter value that selects orders in every state.
ALL_STATES = "all"
# Sales are paid orders, so the ledger shows them unless the user picks another state.
DEFAULT_STATE = OrderState.PAID.value

# Orders per batch of the CSV export: one query for their lines and one for their payments.
# Stays below SQLite's limit of 999 parameters per statement in older versions.
EXPORT_BATCH_SIZE = 500

# Characters that make Excel or LibreOffice read a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Refunds the ledger counts. Only a done refund has sent the money back: the cash was paid
# out, the terminal or the provider refunded, or the transfer file went to the bank. A
# pending refund may still fail, and a failed one sent nothing. Returned direct debits are
# done when they are recorded, because the bank has taken the money back by then.
REFUNDED_STATES = (RefundState.DONE,)


@dataclass(frozen=True)
class LedgerFilter:
    """Selection of the orders of one municipality; an empty value selects everything."""

    municipality: Municipality
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    operator_id: int | None = None
    point_of_sale_id: int | None = None
    state: str = DEFAULT_STATE


class _SalesAmounts:
    """Net amounts and amounts after refunds, derived from gross, VAT and their refunds.

    A class using it provides gross_cents, vat_cents, refunded_gross_cents and
    refunded_vat_cents, as fields or as properties.
    """

    gross_cents: int
    vat_cents: int
    refunded_gross_cents: int
    refunded_vat_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.vat_cents

    @property
    def refunded_net_cents(self) -> int:
        return self.refunded_gross_cents - self.refunded_vat_cents

    @property
    def gross_after_refunds_cents(self) -> int:
        return self.gross_cents - self.refunded_gross_cents

    @property
    def vat_after_refunds_cents(self) -> int:
        return self.vat_cents - self.refunded_vat_cents

    @property
    def net_after_refunds_cents(self) -> int:
        return self.net_cents - self.refunded_net_cents


@dataclass
class VatRow(_SalesAmounts):
    vat_treatment: str
    vat_rate: int
    gross_cents: int
    vat_cents: int
    # The refunded part of the sales, split exactly to this VAT treatment and rate.
    refunded_gross_cents: int = 0
    refunded_vat_cents: int = 0

    @property
    def label(self) -> str:
        return str(VatTreatment(self.vat_treatment).label)


@dataclass
class PaymentRow:
    """Money of one payment method: confirmed payments in, done refunds out."""

    method: str
    count: int
    amount_cents: int
    needing_clarification: int
    refund_count: int = 0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents

    @property
    def label(self) -> str:
        return str(PaymentMethod(self.method).label)


@dataclass
class LedgerTotals(_SalesAmounts):
    """Totals of a filtered ledger: orders, sales per VAT treatment, money per payment method."""

    order_count: int
    order_total_cents: int
    vat_rows: list[VatRow] = field(default_factory=list)
    payment_rows: list[PaymentRow] = field(default_factory=list)
    # Partial refunds of orders with several VAT rates, not split over the rates.
    unsplit_refund_cents: int = 0
    unsplit_refund_orders: int = 0

    @property
    def gross_cents(self) -> int:
        return sum(row.gross_cents for row in self.vat_rows)

    @property
    def vat_cents(self) -> int:
        return sum(row.vat_cents for row in self.vat_rows)

    @property
    def paid_cents(self) -> int:
        return sum(row.amount_cents for row in self.payment_rows)

    @property
    def refunded_cents(self) -> int:
        return sum(row.refunded_cents for row in self.payment_rows)

    @property
    def net_paid_cents(self) -> int:
        return self.paid_cents - self.refunded_cents

    @property
    def refunded_gross_cents(self) -> int:
        return sum(row.refunded_gross_cents for row in self.vat_rows)

    @property
    def refunded_vat_cents(self) -> int:
        return sum(row.refunded_vat_cents for row in self.vat_rows)


def day_start(day: date) -> datetime:
    """Return local midnight of a Berlin calendar day as an aware datetime."""
    # Midnight exists on every day in Europe/Berlin: the clocks change at 02:00 and 03:00.
    return datetime.combine(day, time.min, tzinfo=BERLIN)


def filter_orders(ledger_filter: LedgerFilter) -> QuerySet[Order]:
    """Return the orders the filter selects, newest first."""
    orders = Order.objects.filter(municipality=ledger_filter.municipality)
    if ledger_filter.date_from is not None:
        orders = orders.filter(created_at__gte=day_start(ledger_filter.date_from))
    if ledger_filter.date_to is not None:
        orders = orders.filter(created_at__lt=day_start(ledger_filter.date_to + timedelta(days=1)))
    if ledger_filter.channel:
        orders = orders.filter(channel=ledger_filter.channel)
    if ledger_filter.operator_id is not None:
        lines_of_operator = OrderLine.objects.filter(
            order_id=OuterRef("pk"), operator_id=ledger_filter.operator_id
        )
        orders = orders.filter(Exists(lines_of_operator))
    if ledger_filter.point_of_sale_id is not None:
        orders = orders.filter(point_of_sale_id=ledger_filter.point_of_sale_id)
    if ledger_filter.state and ledger_filter.state != ALL_STATES:
        orders = orders.filter(state=ledger_filter.state)
    return orders.order_by("-created_at", "-pk")


def filter_lines(ledger_filter: LedgerFilter) -> QuerySet[OrderLine]:
    """Return the lines of the selected orders, only those of the operator where one is set.

    An order of the portal may hold lines of several operators. Sales of one operator are
    the lines of that operator, so totals per VAT treatment and the export leave the
    others out.
    """
    lines = OrderLine.objects.filter(order__in=filter_orders(ledger_filter).values("pk"))
    if ledger_filter.operator_id is not None:
        lines = lines.filter(operator_id=ledger_filter.operator_id)
    return lines


# Refunds as SQL expressions ---------------------------------------------------------------


def _cents(expression) -> Cast:
    # PostgreSQL returns SUM of bigint as numeric, so the division below would not be an
    # integer division without the cast.
    return Cast(Coalesce(expression, Value(0)), BigIntegerField())


def _order_sum(rows: QuerySet, order_field: str, order_ref: str) -> Cast:
    """Return an expression for the ``amount_cents`` of ``rows`` that belong to one order.

    ``order_field`` leads from the rows to the order's id, and ``order_ref`` names that id
    in the outer query.
    """
    totals = (
        rows.filter(**{order_field: OuterRef(order_ref)})
        .order_by()
        .values(order_field)
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return _cents(Subquery(totals))


def order_refunded_cents(order_ref: str = "pk") -> Cast:
    """Return an expression for the done refunds of the order that ``order_ref`` names."""
    done = Refund.objects.filter(state__in=REFUNDED_STATES)
    return _order_sum(done, "payment__order_id", order_ref)


def _order_paid_cents(order_ref: str) -> Cast:
    confirmed = Payment.objects.filter(state=PaymentState.CONFIRMED)
    return _order_sum(confirmed, "order_id", order_ref)


@dataclass(frozen=True)
class LineRefund:
    """Expressions on OrderLine for the refunded sales of a line, in cents."""

    # Refunded gross and VAT that belong to the line's VAT treatment and rate.
    gross: Case
    vat: Case
    # A partial refund of an order with several VAT rates, on the order's first line.
    unsplit: Case
    # The done refunds of the order on the order's first line, and NULL on the others.
    order_refunded: Case


def line_refund(operator_id: int | None) -> LineRefund:
    """Build the expressions that split the refunds of an order over its lines.

    ``operator_id`` is the operator filter of the ledger. With it, the first line of an
    order is its first line of that operator. An order with lines of other operators
    counts as one with several VAT rates, because a partial refund may be for those lines.
    """
    order_total = F("order__total_cents")
    refunded = order_refunded_cents("order_id")
    # Payments above the order total are an overpayment. Refunds first pay that back,
    # and only the rest reduces the sales, at most by the order total.
    overpaid = Greatest(Value(0), _order_paid_cents("order_id") - order_total)
    sales_refund = Cast(
        Least(order_total, Greatest(Value(0), refunded - overpaid)), BigIntegerField()
    )

    first_lines = OrderLine.objects.filter(order_id=OuterRef("order_id"))
    other_lines = ~Q(vat_treatment=OuterRef("vat_treatment")) | ~Q(vat_rate=OuterRef("vat_rate"))
    if operator_id is not None:
        first_lines = first_lines.filter(operator_id=operator_id)
        other_lines |= ~Q(operator_id=operator_id)
    is_first = Exact(F("pk"), Subquery(first_lines.order_by("pk").values("pk")[:1]))
    several_rates = Exists(OrderLine.objects.filter(other_lines, order_id=OuterRef("order_id")))

    no_refund = LessThanOrEqual(sales_refund, 0)
    full_refund = Exact(sales_refund, order_total)
    one_rate_partial = is_first & ~several_rates
    # VAT contained in a gross amount, rounded half up as core.money.vat_from_gross does.
    # Both operands are non-negative integers, so integer division rounds down.
    rate = F("vat_rate")
    partial_vat = (sales_refund * 2 * rate + 10000 + rate) / ((10000 + rate) * 2)

    def by_case(full, partial) -> Case:
        return Case(
            When(no_refund, then=Value(0)),
            When(full_refund, then=full),
            When(one_rate_partial, then=partial),
            default=Value(0),
            output_field=BigIntegerField(),
        )

    return LineRefund(
        gross=by_case(F("total_cents"), sales_refund),
        vat=by_case(F("vat_cents"), partial_vat),
        unsplit=Case(
            When(no_refund | full_refund, then=Value(0)),
            When(is_first & several_rates, then=sales_refund),
            default=Value(0),
            output_field=BigIntegerField(),
        ),
        order_refunded=Case(When(is_first, then=refunded), output_field=BigIntegerField()),
    )


# Totals ------------------------------------------------------------------------------------


def compute_totals(ledger_filter: LedgerFilter) -> LedgerTotals:
    """Sum the selected orders in three aggregate queries."""
    orders = filter_orders(ledger_filter).order_by()
    summary = orders.aggregate(count=Count("pk"), total=Sum("total_cents"))

    refund = line_refund(ledger_filter.operator_id)
    vat_groups = list(
        filter_lines(ledger_filter)
        .order_by()
        .values("vat_treatment", "vat_rate")
        .annotate(
            gross=Sum("total_cents"),
            vat=Sum("vat_cents"),
            refunded_gross=Sum(refund.gross),
            refunded_vat=Sum(refund.vat),
            unsplit=Sum(refund.unsplit),
            unsplit_orders=Count("pk", filter=GreaterThan(refund.unsplit, 0)),
        )
    )
    vat_rows = [
        VatRow(
            row["vat_treatment"],
            row["vat_rate"],
            row["gross"],
            row["vat"],
            refunded_gross_cents=row["refunded_gross"] or 0,
            refunded_vat_cents=row["refunded_vat"] or 0,
        )
        for row in vat_groups
    ]
    vat_rows.sort(key=lambda row: (-row.vat_rate, row.vat_treatment))

    return LedgerTotals(
        order_count=summary["count"],
        order_total_cents=summary["total"] or 0,
        vat_rows=vat_rows,
        payment_rows=_payment_rows(orders),
        unsplit_refund_cents=sum(row["unsplit"] or 0 for row in vat_groups),
        unsplit_refund_orders=sum(row["unsplit_orders"] for row in vat_groups),
    )


def _payment_rows(orders: QuerySet[Order]) -> list[PaymentRow]:
    """Sum confirmed payments and done refunds per method in one query (UNION ALL)."""
    zero = Value(0, output_field=BigIntegerField())
    payments = (
        Payment.objects.filter(order__in=orders.values("pk"), state=PaymentState.CONFIRMED)
        .order_by()
        .values("method")
        .annotate(
            count=Count("pk"),
            amount=Sum("amount_cents"),
            clarify=Count("pk", filter=Q(needs_clarification=True)),
            refund_count=zero,
            refunded=zero,
        )
    )
    refunds = (
        Refund.objects.filter(payment__order__in=orders.values("pk"), state__in=REFUNDED_STATES)
        .order_by()
        .values("method")
        .annotate(
            count=zero,
            amount=zero,
            clarify=zero,
            refund_count=Count("pk"),
            refunded=Sum("amount_cents"),
        )
    )
    rows: dict[str, PaymentRow] = {}
    # GROUP BY gives each method at most one row per side. An e-payment refunded by bank
    # transfer gives a transfer row without payments.
    for part in payments.union(refunds, all=True):
        row = rows.setdefault(part["method"], PaymentRow(part["method"], 0, 0, 0))
        row.count += part["count"]
        row.amount_cents += part["amount"] or 0
        row.needing_clarification += part["clarify"]
        row.refund_count += part["refund_count"]
        row.refunded_cents += part["refunded"] or 0
    return sorted(rows.values(), key=lambda row: row.method)


def confirmed_payments() -> Prefetch:
    """Prefetch the confirmed payments of orders into ``order.confirmed_payments``."""
    return Prefetch(
        "payments",
        queryset=Payment.objects.filter(state=PaymentState.CONFIRMED).order_by("created_at", "pk"),
        to_attr="confirmed_payments",
    )


def ledger_page_orders(ledger_filter: LedgerFilter) -> QuerySet[Order]:
    """Return the selected orders with what a ledger row shows, in a fixed number of queries."""
    return (
        filter_orders(ledger_filter)
        .select_related("point_of_sale__operator")
        .prefetch_related(confirmed_payments())
        .annotate(refunded_cents=order_refunded_cents())
    )


def point_of_sale_label(order: Order) -> str:
    """Name the point of sale of an order; orders without one came through the portal or API."""
    if order.point_of_sale is not None:
        return str(order.point_of_sale)
    if order.channel == Channel.PORTAL:
        return str(Channel.PORTAL.label)
    return order.get_channel_display()


def payment_method_labels(payments: Iterable[Payment]) -> str:
    """Join the distinct method names of payments in the order they were made."""
    labels: list[str] = []
    for payment in payments:
        label = str(payment.get_method_display())
        if label not in labels:
            labels.append(label)
    return ", ".join(labels)


def load_order(municipality: Municipality, code: str) -> Order | None:
    """Return an order of a municipality with lines, payments and payment events."""
    return (
        Order.objects.filter(municipality=municipality, code=code)
        .select_related("point_of_sale__operator", "cashier", "customer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("operator")),
            Prefetch(
                "payments",
                queryset=Payment.objects.order_by("created_at", "pk").prefetch_related("events"),
            ),
        )
        .first()
    )


# CSV export -------------------------------------------------------------------------------

# A context keeps the column names apart from equal msgids of other apps, whose
# translations would otherwise win because those apps come first in INSTALLED_APPS.
EXPORT_COLUMNS = [
    pgettext_lazy("ledger export", "Order code"),
    pgettext_lazy("ledger export", "Kassenzeichen"),
    pgettext_lazy("ledger export", "Date and time (Europe/Berlin)"),
    pgettext_lazy("ledger export", "Channel"),
    pgettext_lazy("ledger export", "Point of sale"),
    pgettext_lazy("ledger export", "Operator"),
    pgettext_lazy("ledger export", "State"),
    pgettext_lazy("ledger export", "Description"),
    pgettext_lazy("ledger export", "Quantity"),
    pgettext_lazy("ledger export", "Unit price (EUR)"),
    pgettext_lazy("ledger export", "Line total, gross (EUR)"),
    pgettext_lazy("ledger export", "Tax treatment"),
    pgettext_lazy("ledger export", "VAT rate (%)"),
    pgettext_lazy("ledger export", "VAT (EUR)"),
    pgettext_lazy("ledger export", "Net (EUR)"),
    pgettext_lazy("ledger export", "Sachkonto"),
    pgettext_lazy("ledger export", "Produkt (Haushalt)"),
    pgettext_lazy("ledger export", "Kostenstelle"),
    pgettext_lazy("ledger export", "Payment methods"),
    pgettext_lazy("ledger export", "Refunded for the order (EUR)"),
    pgettext_lazy("ledger export", "Refunded, gross (EUR)"),
    pgettext_lazy("ledger export", "Refunded VAT (EUR)"),
    pgettext_lazy("ledger export", "Refunded, not split by VAT rate (EUR)"),
]


def decimal_comma(cents: int) -> str:
    """Format cents as euros with a decimal comma and no thousands separator.

    ``-123456`` becomes ``-1234,56``.
    """
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"


def percent(basis_points: int) -> str:
    """Format a rate in basis points as a percentage: 1900 becomes ``19``, 550 ``5,5``."""
    whole, rest = divmod(basis_points, 100)
    if rest == 0:
        return str(whole)
    return f"{whole},{rest:02d}".rstrip("0")


def guard_formula(text: str) -> str:
    """Prefix a text cell with an apostrophe where a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def local_time(moment: datetime) -> str:
    return timezone.localtime(moment, BERLIN).strftime("%d.%m.%Y %H:%M:%S")


def _batched(values: Iterator[int], size: int) -> Iterator[list[int]]:
    while batch := list(islice(values, size)):
        yield batch


def export_rows(ledger_filter: LedgerFilter) -> Iterator[list[str]]:
    """Yield one row per order line of the selected orders, oldest order first.

    Orders are read in batches of EXPORT_BATCH_SIZE, so memory stays flat for any number of
    orders and each batch costs two queries (lines with their refunds, payments).
    """
    refund = line_refund(ledger_filter.operator_id)
    order_ids = (
        filter_orders(ledger_filter)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=EXPORT_BATCH_SIZE)
    )
    for batch in _batched(order_ids, EXPORT_BATCH_SIZE):
        methods: dict[int, list[Payment]] = {}
        for payment in Payment.objects.filter(
            order_id__in=batch, state=PaymentState.CONFIRMED
        ).order_by("created_at", "pk"):
            methods.setdefault(payment.order_id, []).append(payment)

        lines = (
            OrderLine.objects.filter(order_id__in=batch)
            .select_related("order__point_of_sale__operator", "operator")
            .annotate(
                refunded_gross_cents=refund.gross,
                refunded_vat_cents=refund.vat,
                unsplit_refund_cents=refund.unsplit,
                order_refunded_cents=refund.order_refunded,
            )
            .order_by("order__created_at", "order_id", "pk")
        )
        if ledger_filter.operator_id is not None:
            lines = lines.filter(operator_id=ledger_filter.operator_id)
        for line in lines:
            yield _line_row(line, payment_method_labels(methods.get(line.order_id, [])))


def _line_row(line: OrderLine, methods: str) -> list[str]:
    order = line.order
    text = guard_formula
    return [
        text(order.code),
        text(kz.display(order.kassenzeichen)),
        local_time(order.created_at),
        text(str(order.get_channel_display())),
        text(point_of_sale_label(order)),
        text(line.operator.name),
        text(str(order.get_state_display())),
        text(line.description),
        str(line.quantity),
        decimal_comma(line.unit_price_cents),
        decimal_comma(line.total_cents),
        text(str(line.get_vat_treatment_display())),
        percent(line.vat_rate),
        decimal_comma(line.vat_cents),
        decimal_comma(line.total_cents - line.vat_cents),
        text(line.ledger_account),
        text(line.budget_product),
        text(line.cost_center),
        text(methods),
        # Order amounts stand on the order's first line only, so that a column sum counts
        # each order once.
        "" if line.order_refunded_cents is None else decimal_comma(line.order_refunded_cents),
        decimal_comma(line.refunded_gross_cents),
        decimal_comma(line.refunded_vat_cents),
        "" if line.order_refunded_cents is None else decimal_comma(line.unsplit_refund_cents),
    ]


class _LineBuffer:
    """A file-like object whose ``write`` returns the text, for csv.writer in a generator."""

    def write(self, text: str) -> str:
        return text


def export_csv(ledger_filter: LedgerFilter) -> Iterator[str]:
    """Yield the export as CSV text for German Excel: BOM, semicolons, decimal commas.

    The first chunk is the byte order mark with the header, so Excel reads UTF-8.
    """
    writer = csv.writer(_LineBuffer(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([str(column) for column in EXPORT_COLUMNS])
    for row in export_rows(ledger_filter):
        yield writer.writerow(row)


def export_filename(ledger_filter: LedgerFilter) -> str:
    """Name the export file after the municipality and the date range."""
    parts = ["journal"]
    if ledger_filter.municipality is not None:
        parts.append(ledger_filter.municipality.slug)
    if ledger_filter.date_from:
        parts.append(ledger_filter.date_from.isoformat())
    if ledger_filter.date_to:
        parts.append(ledger_filter.date_to.isoformat())
    return "_".join(parts) + ".csv"
