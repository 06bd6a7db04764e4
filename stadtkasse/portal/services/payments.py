"""The portal's side of online payments: the citizen's return and provider notifications."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.utils import formats, timezone

from stadtkasse.orders.models import Order
from stadtkasse.payments.models import ClarificationReason, Payment, PaymentState
from stadtkasse.payments.providers import ProviderError, get_provider
from stadtkasse.payments.services import apply_provider_result
from stadtkasse.portal.errors import portal_message
from stadtkasse.portal.services.mail import send_order_confirmation_once

logger = logging.getLogger(__name__)

MESSAGE_LEVELS = {
    "success": messages.SUCCESS,
    "info": messages.INFO,
    "warning": messages.WARNING,
    "danger": messages.ERROR,
}


class UnknownProvider(Exception):
    """A notification named a provider that this installation does not offer."""


@dataclass
class Outcome:
    """What the citizen is told after a payment.

    ``level`` is a KERN alert kind (success, info, warning, danger). ``verified`` is set
    when the return carried a valid signature of the provider.
    """

    level: str
    text: str
    verified: bool = False

    @property
    def message_level(self) -> int:
        return MESSAGE_LEVELS[self.level]


def handle_return(payment: Payment, params: Mapping[str, str], *, base_url: str) -> Outcome:
    """Apply the signed result that the citizen brings back, then describe the payment.

    Where the return carries no trustworthy result, the provider is asked for the status
    (XBezahldienste platforms return the citizen without one); where that is not
    possible either, nothing changes and the notification decides. Reloading the page
    applies the same result again, which changes nothing.
    """
    provider = get_provider(payment.provider)
    try:
        result = provider.parse_return(payment, params)
    except ProviderError as error:
        logger.warning("payment %s: return not readable: %s", payment.reference, error)
        result = None
    if result is None and payment.state == PaymentState.PENDING:
        result = _fetch_status(provider, payment)
    if result is not None:
        payment = apply_provider_result(result, cause="citizen returned from provider")
    else:
        payment.refresh_from_db()
    send_order_confirmation_once(payment.order, base_url=base_url)
    outcome = describe_payment(payment)
    outcome.verified = result is not None
    return outcome


def _fetch_status(provider, payment: Payment):
    try:
        return provider.fetch_status(payment)
    except ProviderError as error:
        logger.warning("payment %s: status not fetched: %s", payment.reference, error)
        return None


def handle_notification(
    provider_id: str, body: bytes, headers: Mapping[str, str], *, base_url: str
) -> Payment:
    """Check and apply a provider's notification; the same one twice has the effect of once.

    Raises UnknownProvider, ProviderError (failed check) or UnknownPayment.
    """
    try:
        provider = get_provider(provider_id)
    except KeyError:
        raise UnknownProvider(provider_id) from None
    if not provider.is_available():
        raise UnknownProvider(provider_id)
    result = provider.parse_notification(body, headers)
    payment = apply_provider_result(result, cause=f"notification from {provider_id}")
    send_order_confirmation_once(payment.order, base_url=base_url)
    return payment


def _deadline(order: Order) -> str:
    if order.expires_at is None:
        return "-"
    local = timezone.localtime(order.expires_at)
    return formats.date_format(local, "d.m.Y, H:i")


def describe_payment(payment: Payment) -> Outcome:
    """Return the message for the citizen about a payment in its current state."""
    order = Order.objects.get(pk=payment.order_id)
    code = order.code
    if payment.state == PaymentState.CONFIRMED:
        if payment.needs_clarification:
            reason_codes = {
                ClarificationReason.ORDER_NOT_PAYABLE: "payment_after_expiry",
                ClarificationReason.ALREADY_PAID: "payment_already_paid",
                ClarificationReason.AMOUNT_MISMATCH: "payment_amount_mismatch",
            }
            message_code = reason_codes.get(payment.clarification_reason, "payment_amount_mismatch")
            return Outcome("warning", portal_message(message_code, code=code))
        if not order.email:
            # A payment link from the counter collects no e-mail address.
            return Outcome("success", portal_message("payment_received_no_mail", code=code))
        return Outcome("success", portal_message("payment_received", code=code))
    if payment.state == PaymentState.CANCELED:
        return Outcome(
            "warning", portal_message("payment_canceled", code=code, deadline=_deadline(order))
        )
    if payment.state == PaymentState.FAILED:
        return Outcome(
            "danger", portal_message("payment_failed", code=code, deadline=_deadline(order))
        )
    return Outcome("info", portal_message("payment_unconfirmed", code=code))
