from django.apps import AppConfig


class DevXBezahldiensteConfig(AppConfig):
    name = "stadtkasse_dev.xbezahldienste"
    label = "dev_xbezahldienste"
    verbose_name = "XBezahldienste platform stub"
