"""Counter sales: one order and its payment, stored together or not at all."""

import functools
import logging
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection
from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from stadtkasse.catalog.models import Product, Variant
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale
from stadtkasse.core.services import reserve_kassenzeichen
from stadtkasse.counter.errors import CounterError
from stadtkasse.counter.paid_sale import store_paid_sale
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.payments.models import PaymentMethod
from stadtkasse.payments.services import (
    check_cash_tendered,
)

logger = logging.getLogger(__name__)

# Point of sale id -> the point of sale with operator and municipality. The threads of a
# process share these instances, so they are read, never changed.
_tills: dict[int, PointOfSale] = {}
# Seconds after which a copy is reloaded even if no version was raised, for a change made
# outside Django (SQL by hand).
TILL_MAX_AGE_SECONDS = 60


def may_sell(user, point_of_sale: PointOfSale) -> bool:
    """Tell whether a staff user may sell at a point of sale.

    The permission (through a group or the user) and the till assignment are checked in
    one query. The result is kept on the user object, which lives for one request, so
    that the view and the sale service query the database once.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    known = user.__dict__.setdefault("_stadtkasse_may_sell", {})
    if point_of_sale.pk not in known:
        known[point_of_sale.pk] = bool(
            PointOfSale.objects.filter(pk=point_of_sale.pk)
            .annotate(user_may_sell=_may_sell(user.pk))
            .values_list("user_may_sell", flat=True)
            .first()
        )
    return known[point_of_sale.pk]


def load_till(user, pos_id: int) -> PointOfSale | None:
    """Return an active counter point of sale, and note in one query whether the user may sell.

    The query reads only the municipality's configuration version and the permission.
    The point of sale with its operator and municipality comes from a per-process copy,
    reloaded when that version changes (see ``core.versions``). The permission result
    seeds the cache of ``may_sell`` for this request.
    """
    check = user.is_authenticated and user.is_active and not user.is_superuser
    with connection.cursor() as cursor:
        cursor.execute(
            _till_state_sql(check), _till_state_params(pos_id, user.pk if check else None)
        )
        row = cursor.fetchone()
    if row is None:
        return None
    version, allowed = row

    point_of_sale = _tills.get(pos_id)
    if (
        point_of_sale is None
        or point_of_sale.municipality.config_version != version
        or time.monotonic() - point_of_sale.loaded_at > TILL_MAX_AGE_SECONDS
    ):
        point_of_sale = (
            PointOfSale.objects.select_related("operator", "operator__municipality")
            .filter(pk=pos_id, channel=Channel.COUNTER, active=True)
            .first()
        )
        if point_of_sale is None:
            return None
        point_of_sale.loaded_at = time.monotonic()
        _tills[pos_id] = point_of_sale
    if check:
        user.__dict__.setdefault("_stadtkasse_may_sell", {})[pos_id] = bool(allowed)
    return point_of_sale


def forget_tills() -> None:
    """Drop the per-process copies of points of sale (tests call this between cases)."""
    _tills.clear()


@functools.cache
def _till_state_sql(check: bool) -> str:
    quote = connection.ops.quote_name
    pos = PointOfSale._meta
    operator = Operator._meta
    municipality = Municipality._meta
    pos_table = quote(pos.db_table)

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"SELECT m.{column(municipality, 'config_version')},"
        f" {_may_sell_sql() if check else 'NULL'}"
        f" FROM {pos_table}"
        f" JOIN {quote(operator.db_table)} o"
        f" ON o.{quote(operator.pk.column)} = {pos_table}.{column(pos, 'operator')}"
        f" JOIN {quote(municipality.db_table)} m"
        f" ON m.{quote(municipality.pk.column)} = o.{column(operator, 'municipality')}"
        f" WHERE {pos_table}.{quote(pos.pk.column)} = %s"
        f" AND {pos_table}.{column(pos, 'channel')} = %s"
        f" AND {pos_table}.{column(pos, 'active')}"
    )


def _till_state_params(pos_id: int, user_id: int | None) -> tuple:
    # The permission check's placeholders come first because it is in the SELECT list.
    permission = _may_sell_params(user_id) if user_id else ()
    return (*permission, pos_id, Channel.COUNTER.value)


@functools.cache
def _may_sell_sql() -> str:
    """Return the SQL of the check: the user has the permission and is assigned to the till.

    Written as SQL because the same check built with the ORM (two EXISTS subqueries with
    an OR over group and user permissions) took a third of the CPU time of a counter sale.
    The names come from the models, so the SQL follows their tables.
    """
    quote = connection.ops.quote_name
    user_model = get_user_model()
    cashiers = PointOfSale.cashiers.through._meta
    user_permissions = user_model.user_permissions.through._meta
    user_groups = user_model.groups.through._meta
    group_permissions = Permission.group_set.through._meta
    return (
        f"EXISTS (SELECT 1 FROM {quote(cashiers.db_table)} c"
        f" WHERE c.{quote(cashiers.get_field('pointofsale').column)}"
        f" = {quote(PointOfSale._meta.db_table)}.{quote(PointOfSale._meta.pk.column)}"
        f" AND c.{quote(cashiers.get_field('user').column)} = %s)"
        f" AND EXISTS (SELECT 1 FROM {quote(Permission._meta.db_table)} p"
        f" JOIN {quote(ContentType._meta.db_table)} t ON t.id = p.content_type_id"
        " WHERE t.app_label = %s AND p.codename = %s AND ("
        f"EXISTS (SELECT 1 FROM {quote(user_permissions.db_table)} up"
        f" WHERE up.{quote(user_permissions.get_field('permission').column)} = p.id"
        f" AND up.{quote(user_permissions.get_field('user').column)} = %s)"
        f" OR EXISTS (SELECT 1 FROM {quote(group_permissions.db_table)} gp"
        f" JOIN {quote(user_groups.db_table)} ug"
        f" ON ug.{quote(user_groups.get_field('group').column)}"
        f" = gp.{quote(group_permissions.get_field('group').column)}"
        f" WHERE gp.{quote(group_permissions.get_field('permission').column)} = p.id"
        f" AND ug.{quote(user_groups.get_field('user').column)} = %s)))"
    )


def _may_sell(user_id: int) -> RawSQL:
    return RawSQL(_may_sell_sql(), _may_sell_params(user_id), output_field=BooleanField())


def _may_sell_params(user_id: int) -> tuple:
    return (user_id, "orders", "sell_at_counter", user_id, user_id)


def counter_points_of_sale(user) -> QuerySet[PointOfSale]:
    """Return the active counter points of sale where a user may sell."""
    queryset = PointOfSale.objects.filter(channel=Channel.COUNTER, active=True).select_related(
        "operator", "operator__municipality"
    )
    if not user.is_authenticated or not user.has_perm("orders.sell_at_counter"):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(cashiers=user)


def till_token(point_of_sale: PointOfSale, cashier, token: str) -> str:
    """Return the idempotency key of a till request: two tills never share one."""
    return f"kasse:{point_of_sale.pk}:{cashier.pk}:{token}"


def sellable_products(point_of_sale: PointOfSale) -> list[Product]:
    """Return the products offered at a counter with their active variants and fields.

    Three queries, whatever the size of the catalog.
    """
    return list(
        Product.objects.sellable(Channel.COUNTER, point_of_sale)
        .filter(municipality_id=point_of_sale.operator.municipality_id)
        .select_related("category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(active=True)), "fields"
        )
        .order_by("category__position", "category__name", "position", "name")
    )


def find_by_barcode(point_of_sale: PointOfSale, code: str) -> Product:
    """Return the product with a barcode or article number that this counter sells.

    Raises CounterError for an unknown code, SaleError for a product sold elsewhere.
    """
    code = (code or "").strip()
    municipality_id = point_of_sale.operator.municipality_id
    candidates = list(
        Product.objects.filter(municipality_id=municipality_id, barcode=code).order_by("pk")
        if code
        else []
    )
    if not candidates:
        raise CounterError("unknown_barcode", code=code[:64])
    sellable = set(
        Product.objects.sellable(Channel.COUNTER, point_of_sale)
        .filter(pk__in=[product.pk for product in candidates])
        .values_list("pk", flat=True)
    )
    for product in candidates:
        if product.pk in sellable:
            return product
    raise SaleError("product_not_available", product=candidates[0].name)


def sell(
    point_of_sale: PointOfSale,
    cashier,
    requests: list[LineRequest],
    *,
    method: str,
    tendered_cents: int | None = None,
    email: str = "",
    submit_token: str | None = None,
) -> Order:
    """Sell at the counter: price the lines, store the order, take the payment.

    A repeated ``submit_token`` (double tap, reload) returns the sale stored the first time.
    """
    order, _created = sell_once(
        point_of_sale,
        cashier,
        requests,
        method=method,
        tendered_cents=tendered_cents,
        email=email,
        submit_token=submit_token,
    )
    return order


def sell_once(
    point_of_sale: PointOfSale,
    cashier,
    requests: list[LineRequest],
    *,
    method: str,
    tendered_cents: int | None = None,
    email: str = "",
    submit_token: str | None = None,
) -> tuple[Order, bool]:
    """Sell like ``sell``; also tell whether this call made the sale (False for a repeat)."""
    if not may_sell(cashier, point_of_sale):
        raise SaleError("not_cashier", point_of_sale=point_of_sale)
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD_EXTERNAL):
        raise SaleError("unknown_payment_method", method=method)
    # A repeated token is found by the unique constraint when the order is stored, which
    # saves a query on every first request. Only a repeat that pricing rejects (the
    # catalog changed since the first request) looks the earlier sale up here.
    try:
        lines = price_lines(
            point_of_sale.municipality,
            requests,
            channel=Channel.COUNTER,
            point_of_sale=point_of_sale,
        )
    except SaleError:
        existing = _stored_sale(submit_token)
        if existing is None:
            raise
        return _same_sale(existing, requests, method), False
    total = sum(line.total_cents for line in lines)
    if method == PaymentMethod.CASH:
        if tendered_cents is None:
            tendered_cents = total
        check_cash_tendered(tendered_cents, total)

    # On PostgreSQL the Kassenzeichen comes from a block of numbers that this process
    # reserved in a transaction of its own, so that tills don't queue on the municipality
    # row. A sale that then fails leaves a gap in the numbers, which a Kassenzeichen may
    # have. SQLite has one writer anyway, so there it is taken in the sale's transaction.
    try:
        order, payment = store_paid_sale(
            point_of_sale.municipality,
            lines,
            point_of_sale=point_of_sale,
            cashier=cashier,
            method=method,
            kassenzeichen=(
                reserve_kassenzeichen(point_of_sale.municipality)
                if connection.vendor == "postgresql"
                else None
            ),
            submit_token=submit_token,
            email=email,
            tendered_cents=tendered_cents,
        )
    except IntegrityError:
        # A request with the same token stored the sale before. This transaction was
        # rolled back whole, so the twin can be read now. On PostgreSQL the Kassenzeichen
        # taken above stays unused.
        existing = _stored_sale(submit_token)
        if existing is None:
            raise
        return _same_sale(existing, requests, method), False
    order.confirmed_payment = payment
    return order, True


def _same_sale(existing: Order, requests: list[LineRequest], method: str) -> Order:
    """Return the stored sale of a repeated request, or raise where the request differs.

    A till sends a token again only for the same sale (a retry after a lost response). A
    token that comes with other items or another payment method is a client error, and
    returning the old sale would hide that nothing was sold.
    """
    lines = list(existing.lines.all())
    stored = Counter((str(line.product_id), str(line.quantity)) for line in lines)
    requested = Counter((str(request.product_id), str(request.quantity)) for request in requests)
    # A request may leave out the variant of a product that has only one.
    named_variants = {str(r.variant_id) for r in requests if r.variant_id is not None}
    same_items = stored == requested and named_variants <= {str(line.variant_id) for line in lines}
    methods = set(existing.payments.values_list("method", flat=True))
    if not same_items or methods != {method}:
        logger.warning("sale token reused with other items or method: order=%s", existing.code)
        raise SaleError("token_reused", code=existing.code)
    return existing


def _stored_sale(submit_token: str | None) -> Order | None:
    if not submit_token:
        return None
    return Order.objects.filter(submit_token=submit_token).first()
