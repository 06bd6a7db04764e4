"""Payment by SEPA direct debit: the mandate form, then the pre-notification."""

import uuid

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.portal.services.sepa_mail import send_pre_notification_once
from stadtkasse.portal.views.common import base_url, not_found
from stadtkasse.portal.views.sepa_access import visible_payment
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.models import DirectDebit, MandateType
from stadtkasse.sepa.services import (
    MandateForm,
    MandateInvalid,
    capture_mandate,
    debit_due_date,
    mandate_reference,
    mandate_text,
    sepa_settings,
)


class MandateFields(forms.Form):
    """The mandate form; the checks and their messages are in the SEPA services."""

    account_holder = forms.CharField(label=_("Account holder"), required=False, max_length=200)
    iban = forms.CharField(
        label=_("IBAN"),
        required=False,
        max_length=60,
        help_text=_("For example DE02 1203 0000 0000 2020 51. Spaces do not matter."),
    )
    street = forms.CharField(label=_("Street and house number"), required=False, max_length=200)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=60)
    town = forms.CharField(label=_("Town"), required=False, max_length=200)
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=60,
        help_text=_(
            "Two-letter country code, for example CH or GB. If you leave it empty, the "
            "country of the IBAN is used."
        ),
    )
    mandate_type = forms.ChoiceField(
        label=_("Mandate"), choices=MandateType.choices, required=False
    )
    accepted = forms.BooleanField(label=_("Consent"), required=False)


@never_cache
def mandate(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    payment = visible_payment(request, reference, PaymentMethod.SEPA_DEBIT)
    if payment is None:
        return not_found(request, SepaError("payment_not_found").message)

    debit = DirectDebit.objects.select_related("mandate").filter(payment=payment).first()
    if debit is not None:
        return _pre_notification(request, debit)
    order = payment.order
    if payment.state != PaymentState.PENDING or order.state != OrderState.PENDING_PAYMENT:
        return not_found(request, SepaError("payment_not_open", code=order.code).message)

    form = MandateFields(request.POST or None, initial={"mandate_type": MandateType.ONE_OFF})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            capture_mandate(
                payment,
                MandateForm(
                    account_holder=data["account_holder"],
                    iban=data["iban"],
                    mandate_type=data["mandate_type"],
                    accepted=data["accepted"],
                    street=data["street"],
                    postcode=data["postcode"],
                    town=data["town"],
                    country=data["country"],
                ),
                language=get_language() or "de",
            )
        except MandateInvalid as error:
            for name, message in error.errors.items():
                form.add_error(name, message)
        except SepaError as error:
            return not_found(request, error.message)
        else:
            return redirect("portal:debit_mandate", reference=payment.reference)

    account = sepa_settings(order.municipality)
    preview_reference = mandate_reference(account, order)
    selected_type = form["mandate_type"].value() or MandateType.ONE_OFF
    return render(
        request,
        "portal/sepa/mandate.html",
        {
            "form": form,
            "order": order,
            "payment": payment,
            "account": account,
            "mandate_reference": preview_reference,
            "due_date": debit_due_date(),
            "texts": {
                kind: mandate_text(account, reference=preview_reference, mandate_type=kind)
                for kind in MandateType.values
            },
            "selected_type": selected_type,
        },
        status=400 if form.errors else 200,
    )


def _pre_notification(request: HttpRequest, debit: DirectDebit) -> HttpResponse:
    send_pre_notification_once(debit, base_url=base_url(request))
    return render(
        request,
        "portal/sepa/pre_notification.html",
        {"debit": debit, "order": debit.payment.order, "mandate": debit.mandate},
    )
