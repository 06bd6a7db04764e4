"""Raise the municipality's configuration version on every change that pricing reads.

The per-process copies of ``catalog.cache`` compare that number with the one they were
loaded at. The update runs in the transaction of the change, so both become visible
together.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from stadtkasse.catalog.models import ApplicationField, Product, Variant
from stadtkasse.core.versions import bump_config_version


def _bump_for_product(product_id: int | None) -> None:
    municipality_id = (
        Product.objects.filter(pk=product_id).values_list("municipality_id", flat=True).first()
    )
    bump_config_version(municipality_id)


@receiver([post_save, post_delete], sender=Product, dispatch_uid="catalog_product_changed")
def product_changed(sender, instance: Product, **kwargs) -> None:
    bump_config_version(instance.municipality_id)


@receiver([post_save, post_delete], sender=Variant, dispatch_uid="catalog_variant_changed")
@receiver([post_save, post_delete], sender=ApplicationField, dispatch_uid="catalog_field_changed")
def product_part_changed(sender, instance, **kwargs) -> None:
    _bump_for_product(instance.product_id)


@receiver(
    m2m_changed, sender=Product.points_of_sale.through, dispatch_uid="catalog_listing_changed"
)
def listing_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        bump_config_version(instance.municipality_id)
        return
    # Changed from the point of sale's side: its products may lie in one municipality only.
    bump_config_version(instance.operator.municipality_id)
