"""The order page, paying a pending order again, and the PDF receipt."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order
from stadtkasse.orders.services import vat_totals
from stadtkasse.portal.errors import PortalError, portal_message
from stadtkasse.portal.services.access import can_view_order, remember_order, token_matches
from stadtkasse.portal.services.checkout import (
    awaits_transfer,
    can_pay,
    check_provider,
    expire_if_overdue,
    payments_to_show,
    providers_to_offer,
    refunds_to_show,
    start_payment,
)
from stadtkasse.portal.views.checkout import notify_url, return_url
from stadtkasse.portal.views.common import not_found


def _visible_order(request: HttpRequest, code: str) -> Order | None:
    order = Order.objects.filter(municipality=request.municipality, code=code.upper()).first()
    if order is None:
        return None
    token = request.GET.get("token", "")
    if token and token_matches(order, token):
        remember_order(request, order)
        return order
    return order if can_view_order(request, order) else None


@never_cache
def order(request: HttpRequest, code: str) -> HttpResponse:
    found = _visible_order(request, code)
    if found is None:
        return not_found(request, portal_message("order_not_found", code=code[:16]))
    expire_if_overdue(found)

    lines = list(found.lines.all())
    transfer_pending = awaits_transfer(found)
    return render(
        request,
        "portal/order.html",
        {
            "order": found,
            "lines": lines,
            "vat_totals": vat_totals(lines),
            "payments": payments_to_show(found),
            "refunds": refunds_to_show(found),
            "can_pay": can_pay(found),
            "awaits_transfer": transfer_pending,
            "providers": providers_to_offer(transfer_pending=transfer_pending),
        },
    )


@require_POST
def pay(request: HttpRequest, code: str) -> HttpResponse:
    found = _visible_order(request, code)
    if found is None:
        return not_found(request, portal_message("order_not_found", code=code[:16]))
    provider_id = request.POST.get("provider", "")
    try:
        check_provider(provider_id)
        url = start_payment(
            found,
            provider_id=provider_id,
            return_url=return_url(request),
            notify_url=notify_url(request, provider_id),
        )
    except (SaleError, PortalError) as error:
        messages.error(request, error.message)
        return redirect(found.get_absolute_url())
    return redirect(url)


def receipt(request: HttpRequest, code: str) -> HttpResponse:
    from stadtkasse.payments.receipts import render_receipt_pdf

    found = _visible_order(request, code)
    if found is None:
        return not_found(request, portal_message("order_not_found", code=code[:16]))
    if not found.is_paid:
        return not_found(request, portal_message("receipt_not_ready", code=found.code))
    response = HttpResponse(render_receipt_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="Beleg-{found.code}.pdf"'
    return response
