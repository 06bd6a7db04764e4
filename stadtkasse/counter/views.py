"""Counter (Kasse) pages: login, choice of the till, the sale screen and its endpoint, receipts.

Views are thin: they check who may do what, parse the request, call the services of the
counter and the orders, and render. Every page needs a signed-in user with the right to
sell at the counter and an assignment to the till; receipts are also open to users who
may read the ledger.
"""

import logging
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stadtkasse.core.models import PointOfSale
from stadtkasse.core.money import format_cents
from stadtkasse.counter.errors import CounterError
from stadtkasse.counter.forms import CashierAuthenticationForm, parse_sale_request
from stadtkasse.counter.services import (
    counter_points_of_sale,
    find_by_barcode,
    load_till,
    may_sell,
    sell_once,
    sellable_products,
    till_token,
)
from stadtkasse.orders.errors import MESSAGES as SALE_MESSAGES
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.payments.receipts import (
    load_order_for_receipt,
    receipt_context,
    render_receipt_pdf,
)
from stadtkasse.payments.services import CASH_MAX_CHANGE_CENTS

logger = logging.getLogger(__name__)

QUICK_CASH_EUROS = (5, 10, 20, 50, 100)


class LoginView(auth_views.LoginView):
    template_name = "counter/login.html"
    authentication_form = CashierAuthenticationForm
    next_page = reverse_lazy("counter:start")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("counter:login")


def forbidden(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Render the German page that says this account may not use this page."""
    return TemplateResponse(request, "counter/forbidden.html", {"reason": reason}, status=403)


def _error_json(error: SaleError | CounterError, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": error.code,
                "message": error.message,
                "message_en": error.english_message,
            }
        },
        status=status,
    )


def _load_till(pos_id: int, user) -> PointOfSale:
    point_of_sale = load_till(user, pos_id)
    if point_of_sale is None:
        raise Http404("no such till")
    return point_of_sale


def till_page(view: Callable) -> Callable:
    """Run a page of a till for its cashiers; send others to the login or a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, pos_id: int, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("counter:login"))
        point_of_sale = _load_till(pos_id, request.user)
        if not may_sell(request.user, point_of_sale):
            return forbidden(request, _("You are not assigned to this till."))
        return view(request, point_of_sale, *args, **kwargs)

    return wrapper


def till_api(view: Callable) -> Callable:
    """Like ``till_page``, with JSON answers for a till's script."""

    @wraps(view)
    def wrapper(request: HttpRequest, pos_id: int, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _error_json(CounterError("not_signed_in"), status=403)
        point_of_sale = _load_till(pos_id, request.user)
        if not may_sell(request.user, point_of_sale):
            return _error_json(CounterError("forbidden"), status=403)
        return view(request, point_of_sale, *args, **kwargs)

    return wrapper


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Let the cashier choose a till; one with a single till goes straight there."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("counter:login"))
    if not request.user.has_perm("orders.sell_at_counter"):
        return forbidden(request, _("Your account has no right to sell at the counter."))
    tills = list(counter_points_of_sale(request.user))
    if len(tills) == 1:
        return redirect("counter:till", pos_id=tills[0].pk)
    return TemplateResponse(request, "counter/start.html", {"tills": tills})


@require_GET
@till_page
def till(request: HttpRequest, point_of_sale: PointOfSale) -> HttpResponse:
    """Show the sale screen of a till."""
    # A product without an active variant has no price and cannot be sold.
    products = [product for product in sellable_products(point_of_sale) if product.variants.all()]
    categories, seen = [], set()
    for product in products:
        if product.category_id not in seen:
            seen.add(product.category_id)
            categories.append({"id": product.category_id, "name": product.category.name})
    catalog = {
        "categories": categories,
        "products": [_product_data(product) for product in products],
        "urls": {
            "sale": reverse("counter:sale", args=[point_of_sale.pk]),
            "barcode": reverse("counter:barcode", args=[point_of_sale.pk]),
        },
        "quick_cash_cents": [euros * 100 for euros in QUICK_CASH_EUROS],
        "max_change_cents": CASH_MAX_CHANGE_CENTS,
    }
    return TemplateResponse(
        request,
        "counter/till.html",
        {
            "point_of_sale": point_of_sale,
            "catalog": catalog,
            "categories": categories,
            "products": catalog["products"],
            "texts": _till_texts(),
            "other_tills": counter_points_of_sale(request.user)
            .exclude(pk=point_of_sale.pk)
            .exists(),
        },
    )


def _till_texts() -> dict[str, str]:
    """Sentences the sale screen's script shows, in the active language."""
    return {
        "remove": _("Remove “%(name)s”"),
        "quantity": _("Quantity of “%(name)s”"),
        "unit": _("%(price)s each"),
        "missing_quantity": _("Please enter a quantity from 1 to %(maximum)s."),
        "bad_quantity": _(
            "“%(quantity)s” is not a possible quantity. Please enter a whole number from 1 to "
            "%(maximum)s."
        ),
        "missing_cash": _("%(amount)s are still missing."),
        # The server's message for the same check, so that the till shows the same sentence.
        "too_much_cash": str(SALE_MESSAGES["cash_too_high"]),
        "bad_amount": _("Please enter the cash given in euros, for example 20 or 12,50."),
        "network": _(
            "The till cannot reach the server. Please try again; the sale will not be booked twice."
        ),
        "unexpected": _("The sale could not be completed. Please try again."),
        "choose_variant": _("Choose the price for “%(name)s”"),
        "scan_in_variant": _(
            "The scan “%(code)s” was not added. Please choose the price for “%(name)s” "
            "first, then scan again."
        ),
        "fields_for": _("Details for “%(name)s”"),
        "required": _("Please fill in “%(field)s”."),
        "date_placeholder": _("DD.MM.YYYY"),
        "bad_date": _("Please enter “%(field)s” as a date, for example 31.12.1990."),
        "no_band": _("No price of “%(name)s” applies at this age. Please check the date."),
        "confirm_clear": _("Remove all items of this sale?"),
    }


def _product_data(product) -> dict:
    variants = list(product.variants.all())
    fields = list(product.fields.all())
    return {
        "id": product.pk,
        "name": product.name,
        "category": product.category_id,
        "barcode": product.barcode,
        "age_priced": any(v.min_age is not None or v.max_age is not None for v in variants),
        "min_price": format_cents(min(v.price_cents for v in variants)) if variants else "",
        "variants": [
            {
                "id": variant.pk,
                "name": variant.name,
                "label": product.name
                if variant.name in ("", product.name)
                else f"{product.name} – {variant.name}",
                "price_cents": variant.price_cents,
                "price": format_cents(variant.price_cents),
                "min_age": variant.min_age,
                "max_age": variant.max_age,
            }
            for variant in variants
        ],
        "fields": [
            {
                "key": field.key,
                "label": field.label,
                "kind": field.kind,
                "required": field.required,
                "help_text": field.help_text,
                "choices": field.choice_list(),
            }
            for field in fields
        ],
    }


@require_POST
@till_api
def sale(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """Sell and take the payment; a repeated token answers with the sale made first."""
    try:
        sale_request = parse_sale_request(request.body)
    except (CounterError, SaleError) as error:
        logger.info("counter sale refused: pos=%s %s", point_of_sale.pk, error)
        return _error_json(error)

    try:
        order, created = sell_once(
            point_of_sale,
            request.user,
            sale_request.lines,
            method=sale_request.method,
            tendered_cents=sale_request.tendered_cents,
            submit_token=till_token(point_of_sale, request.user, sale_request.token),
        )
    except SaleError as error:
        logger.info("counter sale refused: pos=%s %s", point_of_sale.pk, error.log_message)
        return _error_json(error)
    return JsonResponse(_sale_result(order), status=201 if created else 200)


def _sale_result(order: Order) -> dict:
    payment = getattr(order, "confirmed_payment", None)
    if payment is not None:
        # The payment this request just stored; a repeated request reads it back.
        change = payment.change_cents if payment.method == PaymentMethod.CASH else None
    else:
        change = (
            order.payments.filter(state=PaymentState.CONFIRMED, method=PaymentMethod.CASH)
            .values_list("change_cents", flat=True)
            .first()
        )
    return {
        "order": order.code,
        "kassenzeichen": order.kassenzeichen_display,
        "total_cents": order.total_cents,
        "change_cents": change,
        "receipt_url": reverse("counter:receipt", args=[order.code]),
        "receipt_pdf_url": reverse("counter:receipt_pdf", args=[order.code]),
    }


@require_GET
@till_api
def barcode(request: HttpRequest, point_of_sale: PointOfSale) -> JsonResponse:
    """Tell a till which product a scanned code stands for, or why it cannot be sold."""
    try:
        product = find_by_barcode(point_of_sale, request.GET.get("code", ""))
    except (CounterError, SaleError) as error:
        return _error_json(error, status=404)
    return JsonResponse({"product": product.pk, "name": product.name})


def _receipt_order(request: HttpRequest, code: str) -> Order | HttpResponse:
    """Return the order of a receipt the user may see, or the response that refuses it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("counter:login"))
    order = load_order_for_receipt(code)
    if order is None:
        raise Http404("no such order")
    user = request.user
    if user.has_perm("orders.view_ledger"):
        return order
    if order.point_of_sale is not None and may_sell(user, order.point_of_sale):
        return order
    return forbidden(
        request, _("Only the cashiers of the till and the treasury may see this receipt.")
    )


@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """Show the receipt of a sale, printable."""
    order = _receipt_order(request, code)
    if isinstance(order, HttpResponse):
        return order
    context = receipt_context(order)
    point_of_sale = order.point_of_sale
    context["back_url"] = (
        reverse("counter:till", args=[point_of_sale.pk])
        if point_of_sale is not None and may_sell(request.user, point_of_sale)
        else ""
    )
    return TemplateResponse(request, "counter/receipt.html", context)


@require_GET
def receipt_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Send the receipt of a sale as a PDF, shown in the browser."""
    order = _receipt_order(request, code)
    if isinstance(order, HttpResponse):
        return order
    response = HttpResponse(render_receipt_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="beleg-{order.code}.pdf"'
    return response
