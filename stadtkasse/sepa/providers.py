"""Payment providers of the portal for bank transfer and SEPA direct debit.

Neither talks to an outside service. Both send the citizen to a portal page of their
own: the transfer details with the GiroCode, or the mandate form. The payment stays
pending until the bank statement shows the money (matched by the Kassenzeichen for a
transfer, by the EndToEndId for a debit).
"""

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from stadtkasse.payments.models import PaymentMethod
from stadtkasse.payments.providers import register
from stadtkasse.payments.providers.base import (
    PaymentProvider,
    ProviderError,
    ProviderResult,
    Redirect,
    RefundResult,
)
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.services import prepare_transfer, sepa_settings


class _BankProvider(PaymentProvider):
    """Shared parts: no notifications, no status call; refunds go out in a pain.001 file."""

    @classmethod
    def is_available(cls) -> bool:
        """Offer the method once a municipality has entered its bank account."""
        from stadtkasse.sepa.models import SepaSettings

        return SepaSettings.objects.exists()

    def parse_return(self, payment, params: Mapping[str, str]) -> ProviderResult | None:
        return None

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ProviderResult:
        raise ProviderError(f"{self.identifier} receives no notifications")

    def fetch_status(self, payment) -> ProviderResult | None:
        return None

    def refund(self, payment, amount_cents: int) -> RefundResult:
        # The refund waits for the next pain.001 transfer file.
        return RefundResult(done=False)


@register
class TransferProvider(_BankProvider):
    identifier = "transfer"
    name = _("Bank transfer (with GiroCode)")
    method = PaymentMethod.TRANSFER

    def initiate(self, payment, *, return_url: str, notify_url: str) -> Redirect:
        try:
            prepare_transfer(payment)
        except SepaError as error:
            raise ProviderError(error.log_message) from None
        return Redirect(url=reverse("portal:transfer", args=[payment.reference]))


@register
class SepaDebitProvider(_BankProvider):
    identifier = "sepa_debit"
    name = _("SEPA direct debit")
    method = PaymentMethod.SEPA_DEBIT

    def initiate(self, payment, *, return_url: str, notify_url: str) -> Redirect:
        try:
            sepa_settings(payment.order.municipality)
        except SepaError as error:
            raise ProviderError(error.log_message) from None
        return Redirect(url=reverse("portal:debit_mandate", args=[payment.reference]))
