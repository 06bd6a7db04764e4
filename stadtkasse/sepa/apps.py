from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SepaConfig(AppConfig):
    name = "stadtkasse.sepa"
    label = "sepa"
    verbose_name = _("SEPA transfers and direct debits")

    def ready(self) -> None:
        from stadtkasse.payments.signals import chargeback_recorded
        from stadtkasse.sepa.services import record_return_of_debit

        chargeback_recorded.connect(record_return_of_debit, dispatch_uid="sepa_debit_returned")
