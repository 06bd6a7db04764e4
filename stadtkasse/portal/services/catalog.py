"""Catalog queries of the portal, limited to products sold online."""

import unicodedata

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from stadtkasse.catalog.models import Category, FieldKind, Product, Variant
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality

# Maximum length of a search text; longer input is cut.
MAX_QUERY_LENGTH = 100


def portal_products(municipality: Municipality) -> QuerySet:
    """Active products of a municipality that are sold in the portal, with their prices."""
    return (
        Product.objects.sellable(Channel.PORTAL)
        .filter(municipality=municipality)
        .select_related("category", "operator")
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.filter(active=True)))
    )


def portal_categories(municipality: Municipality) -> QuerySet:
    """Categories that contain at least one product sold in the portal."""
    sellable = portal_products(municipality).filter(category=OuterRef("pk"))
    return Category.objects.filter(municipality=municipality).filter(Exists(sellable))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def search_products(municipality: Municipality, query: str) -> list[Product]:
    """Find portal products whose name or short description contains the query.

    The comparison is case-insensitive for all letters, umlauts included. It runs in
    Python because SQLite's LIKE folds only ASCII letters.
    """
    needle = _fold(query.strip()[:MAX_QUERY_LENGTH])
    if not needle:
        return []
    return [
        product
        for product in portal_products(municipality)
        if needle in _fold(product.name) or needle in _fold(product.short_description)
    ]


def age_priced(product: Product) -> bool:
    """Tell whether the server picks the price from the applicant's date of birth."""
    variants = list(product.variants.all())
    has_birth_date = any(field.kind == FieldKind.BIRTH_DATE for field in product.fields.all())
    return has_birth_date and any(
        variant.min_age is not None or variant.max_age is not None for variant in variants
    )
