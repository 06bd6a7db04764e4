"""Payment by bank transfer: the details with the GiroCode, its image and the fee notice."""

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from stadtkasse.payments.models import PaymentMethod
from stadtkasse.portal.services.sepa_mail import send_transfer_details_once
from stadtkasse.portal.views.common import base_url, not_found
from stadtkasse.portal.views.sepa_access import visible_payment
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.girocode import girocode_png
from stadtkasse.sepa.notice import render_fee_notice_pdf
from stadtkasse.sepa.services import transfer_details


def _details_or_404(request: HttpRequest, reference: uuid.UUID):
    payment = visible_payment(request, reference, PaymentMethod.TRANSFER)
    if payment is None:
        return None, not_found(request, SepaError("payment_not_found").message)
    return transfer_details(payment), None


@require_GET
@never_cache
def transfer(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    details, missing = _details_or_404(request, reference)
    if missing:
        return missing
    send_transfer_details_once(details, base_url=base_url(request))
    return render(
        request,
        "portal/sepa/transfer.html",
        {"details": details, "order": details.payment.order, "payment": details.payment},
    )


@require_GET
def girocode(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    details, missing = _details_or_404(request, reference)
    if missing:
        return missing
    response = HttpResponse(girocode_png(details.transfer_data), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def fee_notice(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    details, missing = _details_or_404(request, reference)
    if missing:
        return missing
    code = details.payment.order.code
    response = HttpResponse(render_fee_notice_pdf(details), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="Zahlungsaufforderung-{code}.pdf"'
    return response
