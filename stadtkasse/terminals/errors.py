"""Errors of the card terminal feature that the cashier sees, keyed by a machine code.

Like SaleError, ``message`` is the sentence for the user in the active language and
``english_message`` the one for the API and the logs. Nothing was stored when one is raised.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "no_terminal": _(
        "No active card terminal is set up for this till. Please take the payment another "
        "way or ask the IT support to set up the terminal."
    ),
    "terminal_busy": _(
        "The card terminal is still busy with another transaction. Please wait until it has "
        "finished, then try again."
    ),
    "order_not_payable": _("The order %(code)s cannot be paid any more because it is %(state)s."),
    "not_allowed": _("You may not do this at this till. Please ask a supervisor."),
    "not_reversible": _(
        "The payment %(reference)s cannot be reversed on the terminal because the terminal "
        "has no receipt number for it. Please make a refund instead."
    ),
    "not_cancelable": _("The order %(code)s cannot be canceled here because it is %(state)s."),
    "not_finished": _(
        "The terminal transaction is still running. Please wait for its result or abort it."
    ),
    "not_unclear": _("The result of this terminal transaction is already known."),
}


class TerminalUseError(CodedError):
    """A request to the terminal feature that cannot be carried out; nothing was stored."""

    messages = MESSAGES
