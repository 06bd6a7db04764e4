"""Back office pages of the bank statement import: upload, statements, clarification."""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from stadtkasse.backoffice.access import staff_required
from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.models import OPEN_STATES, BankImport, BankTransaction, MatchState
from stadtkasse.banking.services import assign_transaction, import_statement_file
from stadtkasse.banking.services import mark_done as mark_line_done

logger = logging.getLogger(__name__)

PERMISSION = "banking.import_statement"
LINES_PER_PAGE = 50
# Upload limit per file; a day's statement of a town is far smaller.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


@require_http_methods(["GET", "POST"])
@staff_required(PERMISSION)
def statements(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _import_uploads(request)
        return redirect("backoffice:bank_statements")

    imports = BankImport.objects.filter(municipality=request.municipality).select_related(
        "imported_by"
    )[:20]
    page = Paginator(_open_lines(request), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "backoffice/banking/statements.html",
        {
            "imports": imports,
            "page": page,
            "lines": page.object_list,
            "clarification_url": _clarification_url(),
        },
    )


def _import_uploads(request: HttpRequest) -> None:
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, _("Please choose at least one camt file to import."))
        return
    for upload in files:
        if upload.size > MAX_UPLOAD_BYTES:
            messages.error(
                request,
                _("The file “%(file)s” is larger than 200 MB and was not imported.")
                % {"file": upload.name},
            )
            continue
        try:
            result = import_statement_file(
                upload, file_name=upload.name, municipality=request.municipality, user=request.user
            )
        except BankingError as error:
            messages.error(request, error.message)
            continue
        messages.success(
            request,
            _(
                "%(file)s: %(entries)d new lines, %(matched)d matched, %(partly)d partly "
                "matched, %(unmatched)d unmatched, %(duplicates)d skipped as already imported."
            )
            % {
                "file": upload.name,
                "entries": result.entries,
                "matched": result.count(MatchState.MATCHED),
                "partly": result.count(MatchState.PARTLY_MATCHED),
                "unmatched": result.count(MatchState.UNMATCHED),
                "duplicates": result.duplicates,
            },
        )


@require_http_methods(["GET"])
@staff_required(PERMISSION)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank_import = BankImport.objects.filter(municipality=request.municipality, pk=pk).first()
    if bank_import is None:
        raise Http404(pk)
    lines = _lines(request).filter(statement__bank_import=bank_import)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "backoffice/banking/import_detail.html",
        {
            "bank_import": bank_import,
            "statements": bank_import.statements.all(),
            "page": page,
            "lines": page.object_list,
            "clarification_url": _clarification_url(),
        },
    )


@require_POST
@staff_required(PERMISSION)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line_or_404(request, pk)
    codes = request.POST.get("orders", "").replace(";", ",").split(",")
    try:
        assign_transaction(line, codes, user=request.user)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The line was assigned and the payment booked."))
    return redirect(_back(request))


@require_POST
@staff_required(PERMISSION)
def mark_done(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line_or_404(request, pk)
    try:
        mark_line_done(line, note=request.POST.get("note", ""), user=request.user)
    except BankingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The line was marked as done."))
    return redirect(_back(request))


def open_line_count(request: HttpRequest) -> int:
    """Count the bank statement lines of the municipality that wait for clarification."""
    return _open_lines(request).count()


def _open_lines(request: HttpRequest):
    return _lines(request).filter(state__in=OPEN_STATES)


def _lines(request: HttpRequest):
    return (
        BankTransaction.objects.filter(statement__bank_import__municipality=request.municipality)
        .prefetch_related("allocations__order")
        .order_by("-booking_date", "pk")
    )


def _line_or_404(request: HttpRequest, pk: int) -> BankTransaction:
    line = (
        BankTransaction.objects.filter(
            statement__bank_import__municipality=request.municipality, pk=pk
        )
        .select_related("statement__bank_import")
        .first()
    )
    if line is None:
        raise Http404(pk)
    return line


def _back(request: HttpRequest) -> str:
    """Return to the page the form was sent from, when it is a page of this feature."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return reverse("backoffice:bank_statements")


def _clarification_url() -> str:
    """Address of the payments' clarification queue, where flagged payments are cleared."""
    try:
        return reverse("backoffice:clarification_queue")
    except NoReverseMatch:
        return ""
