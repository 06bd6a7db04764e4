from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerminalsConfig(AppConfig):
    name = "stadtkasse.terminals"
    label = "terminals"
    verbose_name = _("Card terminals")
