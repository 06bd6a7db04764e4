"""User-facing errors of the bank statement import and its clarification, keyed by a code.

Like SaleError, ``message`` is the sentence for the user (German by default) and
``log_message`` the English one for logs. No message carries a payer's name or IBAN.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "empty_file": _("The file “%(file)s” is empty. Please choose the camt file from your bank."),
    "not_xml": _(
        "The file “%(file)s” is not an XML file. Please choose a camt.052, camt.053 or "
        "camt.054 file exported from online banking."
    ),
    "broken_xml": _(
        "The file “%(file)s” is broken or incomplete at line %(line)s, column %(column)s. "
        "Nothing was imported. Please download the file from your bank again."
    ),
    "not_utf8": _(
        "The file “%(file)s” is not encoded in UTF-8. Bank statements in camt format are "
        "always UTF-8; please download the file from your bank again."
    ),
    "doctype": _(
        "The file “%(file)s” contains a document type declaration (DOCTYPE), which bank "
        "statements never contain. It was not imported for safety."
    ),
    "wrong_namespace": _(
        "The file “%(file)s” is not a camt.052, camt.053 or camt.054 message of version 02 "
        "to 08 (found: “%(namespace)s”). Please export the statement from your online "
        "banking as camt.053 in one of these versions, or ask your bank for such a file."
    ),
    "missing_element": _(
        "The file “%(file)s” lacks the element %(element)s that every bank statement has. "
        "Nothing was imported. Please ask your bank for a complete file."
    ),
    "invalid_amount": _(
        "The file “%(file)s” contains the amount “%(value)s”, which is not an amount in "
        "euros and cents. Nothing was imported."
    ),
    "invalid_date": _(
        "The file “%(file)s” contains the date “%(value)s”, which is not a valid date. "
        "Nothing was imported."
    ),
    "no_municipality": _(
        "No municipality is set up yet. Please set one up before importing bank statements."
    ),
    "unknown_municipality": _(
        "The municipality “%(value)s” does not exist. Please give the short name of one."
    ),
    "several_municipalities": _(
        "Several municipalities are set up. Please name the one the account belongs to "
        "with --municipality."
    ),
    "no_order_given": _("Please enter the order code or Kassenzeichen of at least one order."),
    "order_not_found": _(
        "No order with the code or Kassenzeichen “%(value)s” was found. Please check the input."
    ),
    "not_open": _(
        "The line was cleared already (%(state)s). Reload the page to see its current state."
    ),
    "not_a_credit": _(
        "Only incoming payments can be assigned to an order. Please mark this line as done "
        "with a note instead."
    ),
    "missing_note": _("Please write a note that says why the line is done."),
    "foreign_account": _(
        "The file “%(file)s” is a statement of the account %(account)s, not of the "
        "municipality's account %(expected)s. Nothing was imported. Please import only "
        "statements of the municipality's account."
    ),
    "debit_pending": _(
        "Order %(code)s is being collected by SEPA direct debit. A transfer booked to it "
        "would charge the citizen twice. Please choose another order or mark the line as "
        "done with a note."
    ),
}

# Parameters that may carry personal data and never go into a log line.
PERSONAL_PARAMS = {"value"}


class BankingError(CodedError):
    """A bank file or a clarification request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
    personal_params = frozenset(PERSONAL_PARAMS)
