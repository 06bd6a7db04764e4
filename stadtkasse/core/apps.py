from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "stadtkasse.core"
    label = "core"
    verbose_name = _("Municipality and organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from stadtkasse.core import lookups, signals  # noqa: F401  (registers and connects)
        from stadtkasse.core.roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="stadtkasse_ensure_roles")
