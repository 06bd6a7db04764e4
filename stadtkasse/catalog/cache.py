"""A per-process copy of the products that sales price, renewed when the catalog changes.

Pricing a line needs the product, its active variants, its application fields and the
points of sale it is listed for. Reading them costs four queries per sale, and building
those queries costs more CPU than running them. Each process keeps the products it has
priced, tagged with ``Municipality.config_version``. The receivers in
``catalog.signals`` and ``core.signals`` raise that number in the same transaction as any
change to a product, variant, application field, product listing or operator. Every sale
reads that number anyway, so a stale copy costs no extra query to notice.

NOTE: ``bulk_create``, ``QuerySet.update()`` and SQL by hand send no signals. A change made
that way is picked up after ``MAX_AGE_SECONDS``, or at once after any saved change.

The cached instances are shared by the threads of a process: read them, never change them.
"""

import threading
import time
from dataclasses import dataclass, field

from django.db.models import Prefetch

from stadtkasse.catalog.models import Product, Variant
from stadtkasse.core.models import Municipality, PointOfSale

MAX_AGE_SECONDS = 60
# Maximum products a process keeps per municipality. Above it the copy starts empty again.
MAX_PRODUCTS = 5000


@dataclass
class _Copy:
    version: int
    loaded_at: float
    products: dict[int, Product] = field(default_factory=dict)


_copies: dict[int, _Copy] = {}
_lock = threading.Lock()


def products_for_sale(municipality: Municipality, ids: set[int]) -> dict[int, Product]:
    """Return the municipality's products among ``ids`` with active variants and fields.

    Unknown ids are left out and not remembered, so a product created later is found.
    """
    copy = _current_copy(municipality)
    missing = ids - copy.products.keys()
    if missing:
        _load(municipality, copy, missing)
    return {pk: copy.products[pk] for pk in ids if pk in copy.products}


def is_sellable(product: Product, channel: str, point_of_sale: PointOfSale | None = None) -> bool:
    """Tell whether a product is offered on a channel, and at a point of sale if one is given.

    The same rule as ``Product.objects.sellable``, for a product of ``products_for_sale``.
    """
    if not product.active or not product.is_sold_on(channel):
        return False
    if point_of_sale is None:
        return True
    listed = product.listed_at
    if listed:
        return point_of_sale.pk in listed
    return product.operator_id == point_of_sale.operator_id


def clear() -> None:
    """Forget every copy (tests call this between cases)."""
    with _lock:
        _copies.clear()


def _current_copy(municipality: Municipality) -> _Copy:
    now = time.monotonic()
    copy = _copies.get(municipality.pk)
    if (
        copy is None
        or copy.version != municipality.config_version
        or now - copy.loaded_at > MAX_AGE_SECONDS
        or len(copy.products) > MAX_PRODUCTS
    ):
        copy = _Copy(version=municipality.config_version, loaded_at=now)
        with _lock:
            _copies[municipality.pk] = copy
    return copy


def _load(municipality: Municipality, copy: _Copy, ids: set[int]) -> None:
    products = list(
        Product.objects.filter(municipality=municipality, pk__in=ids)
        .select_related("operator")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(active=True)), "fields"
        )
    )
    listings: dict[int, set[int]] = {}
    pairs = Product.points_of_sale.through.objects.filter(product_id__in=ids).values_list(
        "product_id", "pointofsale_id"
    )
    for product_id, pos_id in pairs:
        listings.setdefault(product_id, set()).add(pos_id)
    for product in products:
        # The points of sale the product is listed for. Empty means all of its operator's.
        product.listed_at = frozenset(listings.get(product.pk, ()))
        copy.products[product.pk] = product
