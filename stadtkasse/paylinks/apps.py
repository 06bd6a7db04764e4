from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaylinksConfig(AppConfig):
    name = "stadtkasse.paylinks"
    label = "paylinks"
    verbose_name = _("Payment links")
