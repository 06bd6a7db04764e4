"""Back office pages: start, login, ledger, order detail and the CSV export."""

import logging

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET

from stadtkasse.backoffice import ledger
from stadtkasse.backoffice.access import staff_required
from stadtkasse.backoffice.forms import LedgerFilterForm, StaffAuthenticationForm
from stadtkasse.backoffice.navigation import areas_for, role_names
from stadtkasse.orders.services import vat_totals

logger = logging.getLogger(__name__)

ORDERS_PER_PAGE = 50


class LoginView(auth_views.LoginView):
    template_name = "backoffice/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = False
    next_page = reverse_lazy("backoffice:start")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("backoffice:login")


@require_GET
@staff_required()
def start(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "backoffice/start.html",
        {
            "areas": areas_for(request.user),
            "roles": role_names(request.user),
        },
    )


@require_GET
@staff_required("orders.view_ledger")
def ledger_view(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET, municipality=request.municipality)
    context = {"form": form, "page": None, "totals": None}
    if form.is_valid():
        ledger_filter = form.ledger_filter()
        totals = ledger.compute_totals(ledger_filter)
        paginator = Paginator(ledger.ledger_page_orders(ledger_filter), ORDERS_PER_PAGE)
        # The totals contain the count already, so the paginator does not count again.
        paginator.count = totals.order_count
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "filter": ledger_filter,
                "totals": totals,
                "page": page,
                "rows": [_ledger_row(order) for order in page.object_list],
                "query": query.urlencode(),
                "operator_name": dict(form.fields["operator"].choices).get(
                    form.cleaned_data["operator"]
                )
                if ledger_filter.operator_id
                else "",
                "state_label": dict(form.fields["state"].choices).get(ledger_filter.state),
                "may_export": request.user.has_perm("orders.export_ledger"),
            }
        )
    return TemplateResponse(request, "backoffice/ledger.html", context)


def _ledger_row(order) -> dict:
    paid_cents = sum(payment.amount_cents for payment in order.confirmed_payments)
    return {
        "order": order,
        "point_of_sale": ledger.point_of_sale_label(order),
        "payment_methods": ledger.payment_method_labels(order.confirmed_payments),
        "fully_refunded": 0 < paid_cents <= order.refunded_cents,
    }


@require_GET
@staff_required("orders.view_ledger")
def order_detail(request: HttpRequest, code: str) -> HttpResponse:
    order = ledger.load_order(request.municipality, code)
    if order is None:
        raise Http404(code)
    lines = list(order.lines.all())
    payments = list(order.payments.all())
    return TemplateResponse(
        request,
        "backoffice/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "vat_totals": vat_totals(lines),
            "payments": payments,
            "point_of_sale": ledger.point_of_sale_label(order),
            "needs_clarification": any(payment.needs_clarification for payment in payments),
        },
    )


@require_GET
@staff_required("orders.export_ledger")
def export_csv(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET, municipality=request.municipality)
    if not form.is_valid():
        # The ledger page shows what is wrong with the filter.
        return redirect(f"{reverse('backoffice:ledger')}?{request.GET.urlencode()}")
    ledger_filter = form.ledger_filter()
    logger.info(
        "ledger export started: user=%s from=%s to=%s channel=%s operator=%s pos=%s state=%s",
        request.user.pk,
        ledger_filter.date_from,
        ledger_filter.date_to,
        ledger_filter.channel or "-",
        ledger_filter.operator_id,
        ledger_filter.point_of_sale_id,
        ledger_filter.state,
    )
    response = StreamingHttpResponse(
        ledger.export_csv(ledger_filter), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{ledger.export_filename(ledger_filter)}"'
    )
    return response
