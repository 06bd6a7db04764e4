"""The cart page and its changes. Every change is a POST followed by a redirect."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stadtkasse.orders.cart import remove_item, set_quantity
from stadtkasse.orders.errors import SaleError
from stadtkasse.portal.services.carts import open_cart, summarize_cart


def cart(request: HttpRequest) -> HttpResponse:
    current = open_cart(request, create=False)
    context = {"cart": current, "summary": summarize_cart(current)}
    return render(request, "portal/cart.html", context)


@require_POST
def change_quantity(request: HttpRequest, item_id: int) -> HttpResponse:
    current = open_cart(request, create=False)
    if current is not None:
        try:
            set_quantity(current, item_id, request.POST.get("quantity", "").strip())
        except SaleError as error:
            messages.error(request, error.message)
    return redirect("portal:cart")


@require_POST
def remove(request: HttpRequest, item_id: int) -> HttpResponse:
    current = open_cart(request, create=False)
    if current is not None:
        remove_item(current, item_id)
    return redirect("portal:cart")
