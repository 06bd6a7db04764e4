"""Raise the municipality's catalog version on every change that pricing depends on.

The per-process copies of ``catalog.cache`` compare that number with the one they were
loaded at. The update runs in the transaction of the change, so both become visible
together.
"""

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from stadtkasse.catalog.models import ApplicationField, Product, Variant
from stadtkasse.core.models import Municipality, Operator


def bump_catalog_version(municipality_id: int | None) -> None:
    """Tell every process that the municipality's catalog changed."""
    if municipality_id is not None:
        Municipality.objects.filter(pk=municipality_id).update(
            catalog_version=F("catalog_version") + 1
        )


def _bump_for_product(product_id: int | None) -> None:
    municipality_id = (
        Product.objects.filter(pk=product_id).values_list("municipality_id", flat=True).first()
    )
    bump_catalog_version(municipality_id)


@receiver([post_save, post_delete], sender=Product, dispatch_uid="catalog_product_changed")
def product_changed(sender, instance: Product, **kwargs) -> None:
    bump_catalog_version(instance.municipality_id)


@receiver([post_save, post_delete], sender=Variant, dispatch_uid="catalog_variant_changed")
@receiver([post_save, post_delete], sender=ApplicationField, dispatch_uid="catalog_field_changed")
def product_part_changed(sender, instance, **kwargs) -> None:
    _bump_for_product(instance.product_id)


@receiver([post_save, post_delete], sender=Operator, dispatch_uid="catalog_operator_changed")
def operator_changed(sender, instance: Operator, **kwargs) -> None:
    bump_catalog_version(instance.municipality_id)


@receiver(
    m2m_changed, sender=Product.points_of_sale.through, dispatch_uid="catalog_listing_changed"
)
def listing_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        bump_catalog_version(instance.municipality_id)
        return
    # Changed from the point of sale's side: its products may lie in one municipality only.
    bump_catalog_version(instance.operator.municipality_id)
