from django.apps import AppConfig


class DemoEpayConfig(AppConfig):
    name = "stadtkasse_dev.epay"
    label = "demo_epay"
    verbose_name = "Demo e-payment platform"
