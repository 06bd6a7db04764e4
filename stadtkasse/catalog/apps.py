from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "stadtkasse.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from stadtkasse.catalog import signals  # noqa: F401  (connects the receivers)
