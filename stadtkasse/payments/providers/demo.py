"""The demo e-payment provider: works offline against the demo platform in the dev tree.

It speaks like a small real platform: the citizen is redirected to the platform's page
with a signed request; the platform sends a signed JSON notification to Stadtkasse and
returns the citizen with a signed result. Signatures are HMAC-SHA256 with a shared secret.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from django.conf import settings
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

SIGNATURE_HEADER = "X-Demo-Epay-Signature"
PLATFORM_STATES = {
    "paid": PaymentState.CONFIRMED,
    "failed": PaymentState.FAILED,
    "canceled": PaymentState.CANCELED,
}


def sign(message: bytes) -> str:
    return hmac.new(settings.DEMO_EPAY_SECRET.encode(), message, hashlib.sha256).hexdigest()


def canonical(params: Mapping[str, str]) -> bytes:
    """Serialize parameters in a fixed order for signing, the signature itself left out."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig").encode()


def verify(params: Mapping[str, str]) -> bool:
    return hmac.compare_digest(sign(canonical(params)), str(params.get("sig", "")))


@register
class DemoEpayProvider(PaymentProvider):
    identifier = "demo"
    name = _("Demo e-payment (test money)")

    @classmethod
    def is_available(cls) -> bool:
        return settings.DEMO

    def initiate(self, payment, *, return_url: str, notify_url: str) -> Redirect:
        params = {
            "reference": str(payment.reference),
            "amount": str(payment.amount_cents),
            "purpose": f"{payment.order.municipality.name} {payment.order.kassenzeichen}",
            "return_url": return_url,
            "notify_url": notify_url,
        }
        params["sig"] = sign(canonical(params))
        return Redirect(url=f"{settings.DEMO_EPAY_URL}?{urlencode(params)}")

    def parse_return(self, payment, params: Mapping[str, str]) -> ProviderResult | None:
        if not verify(params) or params.get("reference") != str(payment.reference):
            return None
        return self._result(params)

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ProviderResult:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sign(body), signature):
            raise ProviderError("notification signature does not match")
        try:
            data = json.loads(body)
        except ValueError as error:
            raise ProviderError("notification body is not JSON") from error
        if not isinstance(data, dict):
            raise ProviderError("notification body is not a JSON object")
        return self._result(data)

    def fetch_status(self, payment) -> ProviderResult | None:
        # The demo platform reports only by notification and signed return.
        return None

    def refund(self, payment, amount_cents: int) -> RefundResult:
        # Each refund gets its own transaction number, as a real platform would give.
        return RefundResult(done=True, provider_reference=f"refund-{uuid.uuid4()}")

    @staticmethod
    def _result(data: Mapping) -> ProviderResult:
        state = PLATFORM_STATES.get(str(data.get("status")))
        if state is None:
            raise ProviderError(f"unknown platform status {data.get('status')!r}")
        try:
            amount = int(data.get("amount"))
        except (TypeError, ValueError):
            amount = None
        return ProviderResult(
            payment_reference=str(data.get("reference", "")),
            state=state,
            provider_reference=str(data.get("transaction", ""))[:100],
            amount_cents=amount,
        )
