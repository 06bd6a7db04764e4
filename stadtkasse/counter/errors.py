"""Errors of the counter's own requests (malformed sale requests, scanned codes).

Errors of the sale itself (quantity, cash given, product not sold here) are SaleErrors of
the orders app; these here concern what a till sends before a sale can be tried. Each
has a machine code, a German sentence for the cashier and its English text for the API.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "invalid_json": _("The sale could not be read. Please reload the page and try again."),
    "missing_field": _(
        "The sale request lacks the field “%(field)s”. Please reload the page and try again."
    ),
    "invalid_field": _(
        "The field “%(field)s” of the sale request is not valid. "
        "Please reload the page and try again."
    ),
    "invalid_token": _(
        "The sale request has no valid identifier (token). Please reload the page and try again."
    ),
    "unknown_barcode": _(
        "No product has the code “%(code)s”. Please check the code or choose the product "
        "on the screen."
    ),
    "not_signed_in": _("Your session has ended. Please sign in again."),
    "forbidden": _("You may not sell at this till. Please ask a supervisor to assign you."),
}


class CounterError(CodedError):
    """A till request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
