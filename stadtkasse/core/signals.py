"""Raise the configuration version when an operator or a point of sale changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from stadtkasse.core.models import Operator, PointOfSale
from stadtkasse.core.versions import bump_config_version


@receiver([post_save, post_delete], sender=Operator, dispatch_uid="core_operator_changed")
def operator_changed(sender, instance: Operator, **kwargs) -> None:
    bump_config_version(instance.municipality_id)


@receiver([post_save, post_delete], sender=PointOfSale, dispatch_uid="core_pos_changed")
def point_of_sale_changed(sender, instance: PointOfSale, **kwargs) -> None:
    bump_config_version(instance.operator.municipality_id)
