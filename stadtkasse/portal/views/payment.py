"""The citizen's return from the payment provider, and the provider's notifications."""

import logging
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from stadtkasse.payments.models import Payment
from stadtkasse.payments.providers import ProviderError
from stadtkasse.payments.services import UnknownPayment
from stadtkasse.portal.errors import portal_message
from stadtkasse.portal.services.access import remember_order
from stadtkasse.portal.services.payments import UnknownProvider, handle_notification, handle_return
from stadtkasse.portal.views.common import base_url, not_found

logger = logging.getLogger(__name__)

# Notifications are small JSON documents; anything larger is not read.
MAX_NOTIFICATION_BYTES = 64 * 1024


@require_GET
@never_cache
def payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment_or_none(reference, request)
    if payment is None:
        return not_found(request, portal_message("product_not_found"))

    outcome = handle_return(payment, request.GET, base_url=base_url(request))
    if outcome.verified:
        remember_order(request, payment.order)
    messages.add_message(request, outcome.message_level, outcome.text)
    return redirect(payment.order.get_absolute_url())


@csrf_exempt
@require_POST
def payment_notification(request: HttpRequest, provider: str) -> JsonResponse:
    """Receive a server-to-server notification; it is signed, so CSRF does not apply."""
    body = request.body[: MAX_NOTIFICATION_BYTES + 1]
    if len(body) > MAX_NOTIFICATION_BYTES:
        return JsonResponse({"error": "notification too large"}, status=413)
    try:
        payment = handle_notification(provider, body, request.headers, base_url=base_url(request))
    except UnknownProvider:
        logger.warning("notification for unknown provider %r rejected", provider[:40])
        return JsonResponse({"error": "unknown provider"}, status=404)
    except ProviderError as error:
        logger.warning("notification from %s rejected: %s", provider, error)
        return JsonResponse({"error": "invalid notification"}, status=400)
    except UnknownPayment as error:
        logger.warning("notification from %s for unknown payment %r", provider, str(error)[:64])
        return JsonResponse({"error": "unknown payment reference"}, status=404)
    return JsonResponse(
        {
            "status": "accepted",
            "payment": str(payment.reference),
            "state": payment.state,
            "needs_clarification": payment.needs_clarification,
        }
    )


def _payment_or_none(reference: str, request: HttpRequest) -> Payment | None:
    try:
        value = uuid.UUID(reference)
    except ValueError:
        return None
    return (
        Payment.objects.select_related("order")
        .filter(reference=value, order__municipality=request.municipality)
        .exclude(provider="")
        .first()
    )
