from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SepaConfig(AppConfig):
    name = "stadtkasse.sepa"
    label = "sepa"
    verbose_name = _("SEPA transfers and direct debits")
