"""User-facing errors of refunds and the clarification of payments, keyed by a machine code.

Like SaleError, ``message`` is the sentence for the user (German by default),
``english_message`` the one for the API and ``log_message`` the English one for logs
with personal values masked.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "refund_not_allowed": _(
        "You may not refund payments. Please ask a supervisor or the treasury."
    ),
    "clarify_not_allowed": _(
        "You may not clear payments that need clarification. Please ask the treasury."
    ),
    "payment_not_refundable": _(
        "The payment %(reference)s cannot be refunded because it is %(state)s. "
        "Only confirmed payments can be refunded."
    ),
    "invalid_refund_amount": _(
        "“%(value)s” is not an amount above zero. "
        "Please enter the amount to refund in euros, for example 5,00."
    ),
    "refund_too_high": _("The amount %(value)s is too high. At most %(maximum)s can be refunded."),
    "nothing_to_refund": _(
        "The order %(code)s has nothing left to refund: its payments were refunded already."
    ),
    "missing_reason": _("Please give a reason, so that the treasury can trace the decision."),
    "missing_payee_name": _(
        "Please enter the account holder of the account the refund goes to. "
        "A payment by %(method)s is refunded by bank transfer."
    ),
    "missing_iban": _(
        "Please enter the IBAN of the account the refund goes to. "
        "A payment by %(method)s is refunded by bank transfer."
    ),
    "invalid_iban": _(
        "“%(value)s” is not a valid IBAN. Please check it, for example DE02 1203 0000 0000 2020 51."
    ),
    "invalid_bic": _("“%(value)s” is not a valid BIC. Please check it or leave the field empty."),
    "refund_not_pending": _(
        "The refund cannot be completed because it is %(state)s. "
        "Only pending refunds can be completed."
    ),
    "refund_wrong_method": _("The refund goes out by %(method)s and cannot be completed here."),
    "not_in_clarification": _(
        "The payment %(reference)s does not need clarification. "
        "Someone may have cleared it in the meantime; please reload the page."
    ),
    "unknown_order": _(
        "No order with the code or Kassenzeichen “%(value)s” was found. "
        "Please check the order code or Kassenzeichen."
    ),
    "same_order": _(
        "The payment already belongs to the order %(code)s. Please enter another order."
    ),
    "cannot_accept": _(
        "The payment cannot be accepted for the order %(code)s because the order is %(state)s. "
        "Please refund the payment or assign it to another order."
    ),
}

# Parameters that may carry personal data (typed values, IBANs) and never go into a log line.
PERSONAL_PARAMS = {"value"}


class PaymentError(CodedError):
    """A refund or clarification request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
    personal_params = frozenset(PERSONAL_PARAMS)
