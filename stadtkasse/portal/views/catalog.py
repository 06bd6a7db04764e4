"""Browsing: start page, categories, search and the product page with its form."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from stadtkasse.catalog.models import Category, Product
from stadtkasse.orders.cart import add_item
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.portal.errors import portal_message
from stadtkasse.portal.forms import ProductForm
from stadtkasse.portal.services.carts import open_cart
from stadtkasse.portal.services.catalog import (
    MAX_QUERY_LENGTH,
    portal_categories,
    portal_products,
    search_products,
)
from stadtkasse.portal.views.common import not_found

# Pricing errors about an application answer name the field by its label.
ANSWER_ERRORS = {
    "missing_answer",
    "invalid_date",
    "date_in_future",
    "date_implausible",
    "invalid_choice",
    "invalid_number",
}


def home(request: HttpRequest) -> HttpResponse:
    products = portal_products(request.municipality)
    return render(
        request,
        "portal/home.html",
        {
            "featured": products.filter(featured=True),
            "categories": portal_categories(request.municipality),
        },
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = Category.objects.filter(municipality=request.municipality, slug=slug).first()
    products = portal_products(request.municipality).filter(category=found)
    if found is None or not products.exists():
        return not_found(request, portal_message("product_not_found"))
    return render(request, "portal/category.html", {"category": found, "products": products})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = search_products(request.municipality, query) if query else []
    return render(request, "portal/search.html", {"query": query, "results": results})


def product(request: HttpRequest, slug: str) -> HttpResponse:
    found = (
        portal_products(request.municipality).prefetch_related("fields").filter(slug=slug).first()
    )
    if found is None:
        offline = (
            Product.objects.filter(municipality=request.municipality, slug=slug, active=True)
            .select_related("operator")
            .first()
        )
        if offline is not None:
            return not_found(
                request,
                portal_message(
                    "product_not_online", product=offline.name, operator=offline.operator.name
                ),
            )
        return not_found(request, portal_message("product_not_found"))

    form = ProductForm(found, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _add_to_cart(request, found, form):
            messages.success(
                request, _("“%(product)s” is now in your cart.") % {"product": found.name}
            )
            return redirect("portal:cart")
    return render(request, "portal/product.html", {"product": found, "form": form})


def _add_to_cart(request: HttpRequest, product: Product, form: ProductForm) -> bool:
    """Price the request on the server and add it; put any error onto its field."""
    variant_id = form.cleaned_data.get("variant") if "variant" in form.fields else None
    if "variant" in form.fields and not variant_id:
        form.add_error("variant", portal_message("no_variant", product=product.name))
        return False

    line = LineRequest(product.pk, variant_id, form.cleaned_data["quantity"], form.answers())
    try:
        add_item(open_cart(request, create=True), line)
    except SaleError as error:
        form.add_error(_field_of(form, error), error.message)
        return False
    return True


def _field_of(form: ProductForm, error: SaleError) -> str | None:
    if error.code in ("invalid_quantity", "missing_quantity", "one_per_application"):
        return "quantity"
    if error.code == "unknown_variant" and "variant" in form.fields:
        return "variant"
    if error.code in ANSWER_ERRORS:
        return form.field_for_label(error.params.get("field", ""))
    if error.code == "no_price_band":
        return form.birth_date_field()
    return None
