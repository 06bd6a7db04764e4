"""The till's payment link: create a link with its QR code, poll its state, cancel it.

The endpoints return JSON to the sale screen's script (counter/paylink.js) and follow
the rules of the sale endpoint: a signed-in cashier of the till, CSRF header, a client
token so that a repeated request makes one link.
"""

import json
import logging

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from stadtkasse.core.models import PointOfSale
from stadtkasse.core.money import format_cents
from stadtkasse.counter.errors import CounterError
from stadtkasse.counter.forms import parse_sale_request
from stadtkasse.counter.views import _error_json, till_api
from stadtkasse.orders.errors import SaleError
from stadtkasse.paylinks.errors import PaylinkError, paylink_message
from stadtkasse.paylinks.models import LinkState, PaymentLink
from stadtkasse.paylinks.services import (
    cancel_link,
    create_link,
    link_status,
    qr_code_data_uri,
)

logger = logging.getLogger(__name__)

# The sale request's parser checks token and lines; a link request names no payment method.
LINK_METHOD = "paylink"


def _parse_link_request(body: bytes):
    """Read a link request: a sale request without method, with optional ``minutes``."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise CounterError("invalid_json") from error
    if not isinstance(data, dict):
        raise CounterError("invalid_json")
    sale_request = parse_sale_request(json.dumps({**data, "method": LINK_METHOD}).encode())
    return sale_request, data.get("minutes")


def _link_of_till(point_of_sale: PointOfSale, link_id: int) -> PaymentLink | None:
    return (
        PaymentLink.objects.select_related("order")
        .filter(pk=link_id, point_of_sale=point_of_sale)
        .first()
    )


def _status_json(request: HttpRequest, link: PaymentLink) -> dict:
    status = link_status(link)
    result = {
        "id": link.pk,
        "state": status.state,
        "seconds_left": status.seconds_left,
        "expires_at": status.expires_at.isoformat(),
        "order": status.order_code,
        "kassenzeichen": status.kassenzeichen,
        "total_cents": status.total_cents,
        "total": format_cents(status.total_cents),
        "message": _state_message(status.state, link),
        "status_url": reverse("counter:paylink_status", args=[link.point_of_sale_id, link.pk]),
        "cancel_url": reverse("counter:paylink_cancel", args=[link.point_of_sale_id, link.pk]),
    }
    if status.state == LinkState.PAID:
        result["receipt_url"] = reverse("counter:receipt", args=[status.order_code])
        result["receipt_pdf_url"] = reverse("counter:receipt_pdf", args=[status.order_code])
    return result


def _state_message(state: str, link: PaymentLink) -> str:
    if state == LinkState.PAID:
        return paylink_message("till_paid", code=link.order.code)
    if state == LinkState.EXPIRED:
        return paylink_message("till_expired")
    if state == LinkState.CANCELED:
        return paylink_message("till_canceled")
    return ""


@require_POST
@till_api
def create(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """Create the order and payment link of a sale; a repeated token returns the same link."""
    try:
        sale_request, minutes = _parse_link_request(request.body)
        link, created = create_link(
            point_of_sale,
            request.user,
            sale_request.lines,
            client_token=sale_request.token,
            minutes=minutes,
        )
    except (CounterError, SaleError, PaylinkError) as error:
        logger.info(
            "payment link rejected: pos=%s %s",
            point_of_sale.pk,
            getattr(error, "log_message", error.english_message),
        )
        return _error_json(error)

    # NOTE: the link uses the host name of the till's request. Where the portal is served
    # under another host name than the till, phones need that name instead.
    url = request.build_absolute_uri(reverse("portal:paylink", args=[link.token]))
    body = _status_json(request, link)
    body.update({"url": url, "qr_code": qr_code_data_uri(url)})
    return JsonResponse(body, status=201 if created else 200)


@never_cache
@require_GET
@till_api
def status(request: HttpRequest, point_of_sale: PointOfSale, link_id: int) -> JsonResponse:
    """Return the state of a link; the till polls it until the state is final."""
    link = _link_of_till(point_of_sale, link_id)
    if link is None:
        return _error_json(PaylinkError("link_not_found"), status=404)
    return JsonResponse(_status_json(request, link))


@require_POST
@till_api
def cancel(request: HttpRequest, point_of_sale: PointOfSale, link_id: int) -> JsonResponse:
    """Withdraw a link; a paid link stays paid and is reported as such."""
    link = _link_of_till(point_of_sale, link_id)
    if link is None:
        return _error_json(PaylinkError("link_not_found"), status=404)
    try:
        link = cancel_link(link, user=request.user)
    except PaylinkError as error:
        logger.info("payment link cancel rejected: link=%s %s", link.pk, error.log_message)
        return _error_json(error, status=409)
    return JsonResponse(_status_json(request, link))
