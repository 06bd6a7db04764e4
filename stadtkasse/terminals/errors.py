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
    "refund_not_found": _(
        "This refund was not found in your municipality. Please reload the list of refunds."
    ),
    "refund_not_terminal": _(
        "This refund goes back by %(method)s, not on the card terminal. Please complete it "
        "in the back office."
    ),
    "refund_not_pending": _(
        "This refund cannot be started on the terminal because it is %(state)s. Please "
        "reload the list of refunds."
    ),
    "refund_elsewhere": _(
        "This refund is running on the terminal of another till, or its result there is "
        "unclear. Please finish it at that till."
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
