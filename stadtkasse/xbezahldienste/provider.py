"""The payment provider for e-payment platforms that speak XBezahldienste 1.0.

ePayBL, pmPayment, epay21 and other platforms of the federal states share this API. The
platform returns the citizen without a status, and sends no notification: Stadtkasse
fetches the status after the return, and the ``poll_epayments`` job fetches it for
citizens who never return.
"""

import logging
from collections.abc import Mapping

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stadtkasse.payments.models import PaymentState
from stadtkasse.payments.providers import register
from stadtkasse.payments.providers.base import (
    PaymentProvider,
    ProviderError,
    ProviderResult,
    Redirect,
    RefundResult,
)
from stadtkasse.xbezahldienste import payloads
from stadtkasse.xbezahldienste.client import PlatformClient
from stadtkasse.xbezahldienste.models import PlatformConfig, PlatformTransaction

logger = logging.getLogger(__name__)

IDENTIFIER = "xbezahldienste"


def active_platform(municipality) -> PlatformConfig | None:
    return PlatformConfig.objects.filter(municipality=municipality, is_active=True).first()


@register
class XBezahldiensteProvider(PaymentProvider):
    identifier = IDENTIFIER
    # XBezahldienste 1.0 has no refund call, so refunds go out by bank transfer.
    can_refund = False
    generic_name = _("Online payment (e-payment platform)")

    @property
    def name(self):
        """The platform's name for citizens where one platform is active, else a generic one.

        NOTE: the portal lists providers without asking for the municipality, so an
        installation with several active platforms shows the generic name.
        """
        names = list(
            PlatformConfig.objects.filter(is_active=True).values_list("display_name", flat=True)[:2]
        )
        return names[0] if len(names) == 1 else self.generic_name

    @classmethod
    def is_available(cls) -> bool:
        return PlatformConfig.objects.filter(is_active=True).exists()

    def initiate(self, payment, *, return_url: str, notify_url: str) -> Redirect:
        platform = active_platform(payment.order.municipality)
        if platform is None:
            raise ProviderError(
                f"municipality {payment.order.municipality.slug} has no active e-payment platform"
            )
        request = payloads.payment_request(payment, platform, redirect_url=return_url)
        document = PlatformClient(platform).create_transaction(request)
        information = payloads.payment_information(document, platform_name=platform.name)

        redirect_url = str(information.get("transactionRedirectUrl") or "")
        if not redirect_url.startswith(("https://", "http://")):
            raise ProviderError(f"{platform.name}: transactionRedirectUrl is not an http(s) URL")
        transaction_id = str(information["transactionId"])[:64]
        PlatformTransaction.objects.create(
            payment=payment,
            platform=platform,
            transaction_id=transaction_id,
            transaction_reference=str(information.get("transactionReference") or "")[:64],
            status=information["status"],
        )
        logger.info(
            "platform %s: transaction %s created for payment %s",
            platform.pk,
            transaction_id,
            payment.reference,
        )
        return Redirect(url=redirect_url, provider_reference=transaction_id)

    def parse_return(self, payment, params: Mapping[str, str]) -> ProviderResult | None:
        # XBezahldienste returns the citizen to the redirectUrl without any status.
        return None

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ProviderResult:
        raise ProviderError("XBezahldienste 1.0 defines no notification; the status is fetched")

    def fetch_status(self, payment) -> ProviderResult | None:
        """Fetch the transaction's status from its platform and record it."""
        transaction = (
            PlatformTransaction.objects.select_related("platform").filter(payment=payment).first()
        )
        if transaction is None:
            raise ProviderError(f"payment {payment.reference} has no platform transaction")
        platform = transaction.platform
        document = PlatformClient(platform).get_transaction(transaction.transaction_id)
        information = payloads.payment_information(document, platform_name=platform.name)

        request = document.get("paymentRequest")
        request = request if isinstance(request, dict) else {}
        request_id = request.get("requestId")
        if request_id is not None and str(request_id) != str(payment.reference):
            raise ProviderError(
                f"{platform.name}: transaction {transaction.transaction_id} belongs to request "
                f"{request_id!r}, not to payment {payment.reference}"
            )

        status = information["status"]
        PlatformTransaction.objects.filter(pk=transaction.pk).update(
            status=status,
            status_detail=str(information.get("statusDetail") or "")[:100],
            payment_method=str(information.get("paymentMethod") or "")[:32],
            transaction_reference=str(
                information.get("transactionReference") or transaction.transaction_reference
            )[:64],
            checked_at=timezone.now(),
            check_count=F("check_count") + 1,
        )
        state = payloads.PLATFORM_STATES[status]
        amount = payloads.cents_of(request.get("grosAmount"))
        return ProviderResult(
            payment_reference=str(payment.reference),
            state=state,
            provider_reference=transaction.transaction_id,
            amount_cents=amount if state == PaymentState.CONFIRMED else None,
            data={
                "platform_status": status,
                "payment_method": str(information.get("paymentMethod") or ""),
                "transaction_reference": str(information.get("transactionReference") or ""),
            },
        )

    def refund(self, payment, amount_cents: int) -> RefundResult:
        # XBezahldienste 1.0 has only the two transaction resources, no refund.
        raise ProviderError(
            "XBezahldienste 1.0 offers no refund call; refund the payment by bank transfer"
        )
