"""Forms of refunds and of the clarification queue; the services check the business rules."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.money import parse_euros
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.refunds import Payee


class RefundForm(forms.Form):
    """Amount, reason and, for refunds by bank transfer, the payee's account."""

    amount = forms.CharField(
        label=_("Amount in euros"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    payee_name = forms.CharField(label=_("Account holder"), required=False, max_length=70)
    payee_iban = forms.CharField(label=_("IBAN"), required=False, max_length=42)
    payee_bic = forms.CharField(label=_("BIC (optional)"), required=False, max_length=11)
    request_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_token", uuid.uuid4().hex)

    def amount_cents(self, remaining_cents: int) -> int:
        """Return the typed amount in cents, or everything that is left for an empty field."""
        text = self.cleaned_data["amount"].strip()
        if not text:
            return remaining_cents
        try:
            return parse_euros(text)
        except ValueError:
            raise PaymentError("invalid_refund_amount", value=text) from None

    def payee(self) -> Payee | None:
        """Return the account typed into the form, or None where no IBAN was typed."""
        iban = self.cleaned_data["payee_iban"].strip()
        if not iban:
            return None
        return Payee(
            name=self.cleaned_data["payee_name"],
            iban=iban,
            bic=self.cleaned_data["payee_bic"],
        )


class AssignForm(forms.Form):
    target = forms.CharField(label=_("Order code or Kassenzeichen"), required=False, max_length=40)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class AcceptForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
