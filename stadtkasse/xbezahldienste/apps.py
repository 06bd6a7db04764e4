from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class XbezahldiensteConfig(AppConfig):
    name = "stadtkasse.xbezahldienste"
    label = "xbezahldienste"
    verbose_name = _("E-payment platforms (XBezahldienste)")
