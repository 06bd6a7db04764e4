"""Checkout: e-mail address and payment method, then one order and the provider's page."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Cart
from stadtkasse.payments.providers import online_providers
from stadtkasse.portal.errors import PortalError, portal_message
from stadtkasse.portal.forms import CheckoutForm
from stadtkasse.portal.services.access import remember_order
from stadtkasse.portal.services.carts import owns_cart, session_cart, summarize_cart
from stadtkasse.portal.services.checkout import check_provider, place_order

# Which form field a checkout error belongs to; other errors go to the summary.
FIELD_OF_ERROR = {
    "invalid_email": "email",
    "unknown_payment_method": "provider",
    "no_payment_method": "provider",
    "no_online_payment": "provider",
}


def return_url(request: HttpRequest) -> str:
    """Return the absolute return address; the payment services put the reference at __REF__."""
    return request.build_absolute_uri(reverse("portal:payment_return", args=["__REF__"]))


def notify_url(request: HttpRequest, provider_id: str) -> str:
    """Return the absolute address where the provider sends its notifications."""
    return request.build_absolute_uri(reverse("portal:payment_notification", args=[provider_id]))


def _already_placed(request: HttpRequest, cart: Cart) -> HttpResponse:
    remember_order(request, cart.order)
    messages.info(request, portal_message("order_already_placed", code=cart.order.code))
    return redirect(cart.order.get_absolute_url())


def checkout(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        return _submit(request, user)

    cart = session_cart(request)
    if cart is not None and cart.order_id is not None:
        return _already_placed(request, cart)
    summary = summarize_cart(cart)
    if not summary.rows:
        messages.error(request, SaleError("empty_cart").message)
        return redirect("portal:cart")
    form = CheckoutForm(
        initial={
            "email": user.email if user else "",
            "cart": str(cart.token),
            "provider": _single_provider(),
        }
    )
    return _render(request, form, summary)


def _submit(request: HttpRequest, user) -> HttpResponse:
    form = CheckoutForm(request.POST)
    cart = (
        Cart.objects.select_related("order")
        .filter(token=_uuid_text(request.POST.get("cart", "")), municipality=request.municipality)
        .first()
    )
    if cart is None or not owns_cart(request, cart):
        messages.error(request, SaleError("empty_cart").message)
        return redirect("portal:cart")
    if cart.order_id is not None:
        return _already_placed(request, cart)

    summary = summarize_cart(cart)
    if not form.is_valid():
        return _render(request, form, summary)
    provider_id = form.cleaned_data.get("provider", "")
    email = user.email if user else form.cleaned_data["email"]
    try:
        check_provider(provider_id)
        placement = place_order(
            cart,
            email=email,
            customer=user,
            provider_id=provider_id,
            return_url=return_url(request),
            notify_url=notify_url(request, provider_id),
        )
    except (SaleError, PortalError) as error:
        order = Cart.objects.get(pk=cart.pk).order
        if order is not None:
            # The order exists but its payment could not start; it can be paid from its page.
            remember_order(request, order)
            messages.error(request, error.message)
            return redirect(order.get_absolute_url())
        form.add_error(FIELD_OF_ERROR.get(error.code), error.message)
        return _render(request, form, summary)

    remember_order(request, placement.order)
    if not placement.redirect_url:
        messages.info(request, portal_message("order_already_placed", code=placement.order.code))
        return redirect(placement.order.get_absolute_url())
    return redirect(placement.redirect_url)


def _render(request: HttpRequest, form: CheckoutForm, summary) -> HttpResponse:
    return render(
        request,
        "portal/checkout.html",
        {
            "form": form,
            "summary": summary,
            "providers": online_providers(),
            "payment_minutes": settings.ORDER_PAYMENT_MINUTES,
        },
    )


def _single_provider() -> str:
    providers = online_providers()
    return providers[0].identifier if len(providers) == 1 else ""


def _uuid_text(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
