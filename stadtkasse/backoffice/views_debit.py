"""Back office: export direct debits (pain.008) and refund transfers (pain.001), and files."""

import logging
from datetime import date

from django import forms
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stadtkasse.backoffice.access import staff_required
from stadtkasse.sepa.calendar import add_business_days
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.exports import (
    DEBIT_SCHEMAS,
    due_refunds,
    export_direct_debits,
    export_refund_transfers,
    file_path,
)
from stadtkasse.sepa.models import DebitState, DirectDebit, SepaFile
from stadtkasse.sepa.services import local_today

logger = logging.getLogger(__name__)

PERMISSION = "sepa.export_debits"
FILES_SHOWN = 50


class DebitExportForm(forms.Form):
    due = forms.DateField(
        label=_("Due on or before"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Please enter the date as DD.MM.YYYY.")},
    )
    schema = forms.ChoiceField(
        label=_("Schema"),
        choices=[(schema, schema) for schema in DEBIT_SCHEMAS],
        initial=DEBIT_SCHEMAS[0],
    )


def _default_due() -> date:
    # The bank needs the file one business day before the collection date.
    return add_business_days(local_today(), 1)


@require_GET
@staff_required(PERMISSION)
def debits(request: HttpRequest) -> HttpResponse:
    return _render(request, DebitExportForm(initial={"due": _default_due()}))


def _render(request: HttpRequest, form: DebitExportForm, status: int = 200, error: str = ""):
    municipality = request.municipality
    scheduled = (
        DirectDebit.objects.filter(mandate__municipality=municipality, state=DebitState.SCHEDULED)
        .values("due_date")
        .annotate(count=Count("pk"), total=Sum("amount_cents"))
        .order_by("due_date")
    )
    refunds = due_refunds(municipality).aggregate(count=Count("pk"), total=Sum("amount_cents"))
    new_file = SepaFile.objects.filter(
        municipality=municipality, pk=_int_or_none(request.GET.get("neu"))
    ).first()
    files = SepaFile.objects.filter(municipality=municipality).select_related("created_by")
    scheduled = list(scheduled)
    searched_until = _date_or_none(request.GET.get("bis"))
    # After an export that found nothing: the next debits that a later date would take.
    next_due = next(
        (
            row["due_date"]
            for row in scheduled
            if searched_until is not None and row["due_date"] > searched_until
        ),
        None,
    )
    return TemplateResponse(
        request,
        "backoffice/sepa/debits.html",
        {
            "form": form,
            "error": error,
            "scheduled": scheduled,
            "searched_until": searched_until,
            "next_due": next_due,
            "refunds": refunds,
            "new_file": new_file,
            "files": files[:FILES_SHOWN],
            "nothing": request.GET.get("nichts", ""),
        },
        status=status,
    )


@require_POST
@staff_required(PERMISSION)
def export_debits(request: HttpRequest) -> HttpResponse:
    form = DebitExportForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    due = form.cleaned_data["due"]
    try:
        result = export_direct_debits(
            request.municipality,
            due=due,
            schema=form.cleaned_data["schema"],
            user=request.user,
        )
    except SepaError as error:
        logger.warning("pain.008 export failed: user=%s %s", request.user.pk, error.log_message)
        return _render(request, form, status=400, error=error.message)
    if result is None:
        return redirect(
            f"{reverse('backoffice:sepa_debits')}?nichts=lastschriften&bis={due.isoformat()}"
        )
    return redirect(f"{reverse('backoffice:sepa_debits')}?neu={result.sepa_file.pk}")


@require_POST
@staff_required(PERMISSION)
def export_refunds(request: HttpRequest) -> HttpResponse:
    try:
        result = export_refund_transfers(request.municipality, user=request.user)
    except SepaError as error:
        logger.warning("pain.001 export failed: user=%s %s", request.user.pk, error.log_message)
        form = DebitExportForm(initial={"due": _default_due()})
        return _render(request, form, status=400, error=error.message)
    if result is None:
        return redirect(f"{reverse('backoffice:sepa_debits')}?nichts=erstattungen")
    return redirect(f"{reverse('backoffice:sepa_debits')}?neu={result.sepa_file.pk}")


@require_http_methods(["GET", "HEAD"])
@staff_required(PERMISSION)
def download(request: HttpRequest, pk: int) -> HttpResponse:
    sepa_file = SepaFile.objects.filter(municipality=request.municipality, pk=pk).first()
    if sepa_file is None:
        raise Http404("no such SEPA file")
    path = file_path(sepa_file)
    if not path.exists():
        logger.error("SEPA file missing in the data folder: %s", sepa_file.filename)
        raise Http404("SEPA file missing")
    logger.info("SEPA file downloaded: file=%s user=%s", sepa_file.filename, request.user.pk)
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=sepa_file.filename,
        content_type="application/xml",
    )


def _date_or_none(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
