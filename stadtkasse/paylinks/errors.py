"""User-facing errors and notices of payment links, keyed by a machine code.

Errors of the sale itself (products, quantities, answers) are SaleErrors of the orders
app; these here concern the link. ``message`` is German by default, ``english_message``
is for the API and the log. No parameter carries personal data.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "invalid_validity": _(
        "The validity “%(minutes)s” is not possible. Please choose a whole number of "
        "minutes from %(minimum)s to %(maximum)s."
    ),
    "order_not_open": _(
        "Order %(code)s cannot get a payment link because it is %(state)s. "
        "Only an open order can be paid by link."
    ),
    "order_elsewhere": _(
        "Order %(code)s belongs to another municipality and cannot be paid at this till."
    ),
    "link_not_found": _("This payment link was not found at this till. Please reload the page."),
    "link_paid": _("The payment link of order %(code)s has been paid and cannot be canceled."),
    "link_expired": _("This payment link has expired. Please contact the cash desk."),
    "link_canceled": _(
        "This payment link was canceled by the cash desk. Please contact the cash desk."
    ),
    "link_unknown": _(
        "This payment link does not exist. Please check the address or contact the cash desk."
    ),
    "link_is_paid": _("This payment link has been paid. You do not need to do anything."),
    "till_paid": _("The citizen paid online. Order %(code)s is paid."),
    "till_expired": _(
        "The payment link expired without a payment. Please take another payment method "
        "or create a new link."
    ),
    "till_canceled": _(
        "The payment link was canceled and nothing was paid. Please take another payment "
        "method or create a new link."
    ),
}


class PaylinkError(CodedError):
    """A payment link request that cannot be carried out; nothing was stored."""

    messages = MESSAGES


def paylink_message(message_code: str, /, **params) -> str:
    """Return the sentence of a code in the active language, for pages and notices."""
    return str(MESSAGES[message_code]) % {key: str(value) for key, value in params.items()}
