"""Access to the SEPA pages of a payment: the browser that placed the order, or its link."""

import uuid

from django.http import HttpRequest

from stadtkasse.payments.models import Payment
from stadtkasse.portal.services.access import can_view_order, remember_order, token_matches


def visible_payment(request: HttpRequest, reference: uuid.UUID, method: str) -> Payment | None:
    """Return the payment of this method if the request may see its order, else None.

    The signed ``token`` of the order link from the e-mail opens the page in any browser.
    """
    payment = (
        Payment.objects.select_related("order", "order__municipality")
        .filter(reference=reference, method=method, order__municipality=request.municipality)
        .first()
    )
    if payment is None:
        return None
    token = request.GET.get("token", "")
    if token and token_matches(payment.order, token):
        remember_order(request, payment.order)
        return payment
    return payment if can_view_order(request, payment.order) else None
