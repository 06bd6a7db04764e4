"""The page behind a payment link: what is paid, until when, and the online payment methods.

The link's token is the only key, and it opens this one order only: the page shows the
order's lines and starts its payment. After the payment the provider's signed return
leads to the portal's order page (see ``payment.payment_return``), which then lets this
browser see the order and its receipt.
"""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.services import vat_totals
from stadtkasse.paylinks.errors import paylink_message
from stadtkasse.paylinks.models import LinkState, PaymentLink
from stadtkasse.paylinks.services import find_link, refresh_link
from stadtkasse.payments.providers import online_providers
from stadtkasse.portal.errors import PortalError
from stadtkasse.portal.services.checkout import check_provider, start_payment
from stadtkasse.portal.views.checkout import notify_url, return_url

logger = logging.getLogger(__name__)

# The HTTP status of the page of a link that can no longer be paid.
GONE_STATUS = {LinkState.EXPIRED: 410, LinkState.CANCELED: 410}
GONE_MESSAGE = {LinkState.EXPIRED: "link_expired", LinkState.CANCELED: "link_canceled"}


@never_cache
@require_http_methods(["GET", "POST"])
def pay_link(request: HttpRequest, token: str) -> HttpResponse:
    link = find_link(token)
    if link is None or link.order.municipality_id != request.municipality.pk:
        return _gone(request, paylink_message("link_unknown"), status=404)
    link = refresh_link(link)
    if link.state in GONE_STATUS:
        return _gone(request, paylink_message(GONE_MESSAGE[link.state]), GONE_STATUS[link.state])

    if request.method == "POST" and link.state == LinkState.ACTIVE:
        return _start(request, link)
    return _render(request, link)


def link_providers() -> list:
    """Return the providers a payment link offers: those that pay at once.

    The cashier waits for the payment, so a bank transfer or a direct debit, which arrive
    days later, are not offered here.
    """
    return [provider for provider in online_providers() if provider.method == "epay"]


def _start(request: HttpRequest, link: PaymentLink) -> HttpResponse:
    provider_id = request.POST.get("provider", "")
    try:
        check_provider(provider_id)
        if provider_id not in {provider.identifier for provider in link_providers()}:
            raise SaleError("unknown_payment_method", method=provider_id)
        url = start_payment(
            link.order,
            provider_id=provider_id,
            return_url=return_url(request),
            notify_url=notify_url(request, provider_id),
        )
    except (SaleError, PortalError) as error:
        logger.info("payment link %s: payment not started: %s", link.pk, error.log_message)
        messages.error(request, error.message)
        return _render(request, link, status=400)
    logger.info("payment link %s: payment started with %s", link.pk, provider_id)
    return redirect(url)


def _render(request: HttpRequest, link: PaymentLink, status: int = 200) -> HttpResponse:
    order = link.order
    lines = list(order.lines.all())
    return render(
        request,
        "portal/paylink/pay.html",
        {
            "link": link,
            "order": order,
            "lines": lines,
            "vat_totals": vat_totals(lines),
            "providers": link_providers(),
            "is_paid": link.state == LinkState.PAID,
            "paid_message": paylink_message("link_is_paid"),
        },
        status=status,
    )


def _gone(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/paylink/gone.html", {"message": message}, status=status)
