"""German labels for the causes that payment and refund events store in English.

The services write causes in English, because the same text goes to the audit log and
to operators. Staff read them translated. A cause not listed here is shown as stored.
"""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stadtkasse.payments.models import ClarificationOutcome, ClarificationReason, PaymentMethod
from stadtkasse.payments.providers import provider_name

CAUSES = {
    "redirect to provider": gettext_lazy("sent to the payment provider"),
    "citizen returned from provider": gettext_lazy("citizen returned from the payment provider"),
    "notification from demo": gettext_lazy("notification from the demo payment provider"),
    "notification from the demo provider": gettext_lazy(
        "notification from the demo payment provider"
    ),
    "notification": gettext_lazy("notification from the payment provider"),
    "return": gettext_lazy("citizen returned from the payment provider"),
    "status fetched by the poll job": gettext_lazy("status fetched from the platform"),
    "bank statement": gettext_lazy("bank statement"),
    "bank statement line": gettext_lazy("bank statement"),
    "bank statement: returned debit": gettext_lazy("bank statement: returned direct debit"),
    "direct debit collected": gettext_lazy("direct debit collected"),
    "sent to the card terminal": gettext_lazy("sent to the card terminal"),
    "approved by the card terminal": gettext_lazy("approved by the card terminal"),
    "declined by the card terminal": gettext_lazy("declined by the card terminal"),
    "canceled at the till": gettext_lazy("canceled at the till"),
    "card terminal not reachable": gettext_lazy("card terminal not reachable"),
    "card terminal result unknown": gettext_lazy("card terminal result unknown"),
    "reversed on the card terminal": gettext_lazy("reversed on the card terminal"),
    "refunded on the card terminal": gettext_lazy("refunded on the card terminal"),
    "payment link": gettext_lazy("payment link"),
    "payment link expired": gettext_lazy("payment link expired"),
    "payment link canceled": gettext_lazy("payment link withdrawn"),
    "payment time ran out": gettext_lazy("payment time ran out"),
    "paid out at the counter": gettext_lazy("paid out at the counter"),
    "paid out": gettext_lazy("paid out"),
    "refund requested": gettext_lazy("refund requested"),
    "waiting for the next transfer file": gettext_lazy("waiting for the next transfer file"),
    # The first step of a refund, per method (payments.refunds.PENDING_CAUSES).
    "sent to the payment provider": gettext_lazy("sent to the payment provider"),
    "to be paid out in cash at the counter": gettext_lazy("to be paid out in cash at the counter"),
    "to be refunded on the stand-alone card terminal": gettext_lazy(
        "to be refunded on the stand-alone card terminal"
    ),
    "to be refunded on the integrated card terminal": gettext_lazy(
        "to be refunded on the integrated card terminal"
    ),
    "paid out in cash, confirmed in the back office": gettext_lazy(
        "paid out in cash, confirmed in the back office"
    ),
    "refunded on the terminal, confirmed in the back office": gettext_lazy(
        "refunded on the stand-alone card terminal, confirmed in the back office"
    ),
}
# Causes that start with a fixed text and go on with a file name, reference or id.
PREFIXES = {
    "bank statement ": gettext_lazy("bank statement %(detail)s"),
    "refunded by ": gettext_lazy("refunded by %(detail)s"),
    "in transfer file ": gettext_lazy("in transfer file %(detail)s"),
    "clarification: ": gettext_lazy("clarification: %(detail)s"),
}
SUFFIXES = {
    " (repeated, no change)": gettext_lazy("%(cause)s (repeated, no change)"),
    " (out of order, ignored)": gettext_lazy("%(cause)s (out of order, ignored)"),
}
CLARIFICATION_PREFIX = "needs clarification: "
OUTCOME_PREFIX = "clarification: "
REFUNDED_BY_PREFIX = "refunded by "
AT_COUNTER_SUFFIX = " at the counter"


def cause_label(cause: str) -> str:
    """Return the translated label of an event cause."""
    for suffix, pattern in SUFFIXES.items():
        if cause.endswith(suffix):
            return str(pattern) % {"cause": cause_label(cause[: -len(suffix)])}
    if cause.startswith(CLARIFICATION_PREFIX):
        reason = _choice_label(ClarificationReason, cause[len(CLARIFICATION_PREFIX) :])
        return _("needs clarification: %(reason)s") % {"reason": reason}
    if cause.startswith(OUTCOME_PREFIX):
        outcome = _choice_label(ClarificationOutcome, cause[len(OUTCOME_PREFIX) :])
        return _("clarification: %(detail)s") % {"detail": outcome}
    if cause.startswith(REFUNDED_BY_PREFIX):
        identifier = cause[len(REFUNDED_BY_PREFIX) :]
        return _("refunded by %(detail)s") % {"detail": provider_name(identifier) or identifier}
    if cause.endswith(AT_COUNTER_SUFFIX):
        method = cause[: -len(AT_COUNTER_SUFFIX)]
        try:
            return _("%(method)s at the counter") % {"method": PaymentMethod(method).label}
        except ValueError:
            pass
    label = CAUSES.get(cause)
    if label is not None:
        return str(label)
    for prefix, pattern in PREFIXES.items():
        if cause.startswith(prefix):
            return str(pattern) % {"detail": cause[len(prefix) :]}
    if cause.startswith("bank line ") and cause.endswith(" assigned by hand"):
        return _("bank statement line assigned by hand")
    if cause.startswith("mandate ") and ", debit due " in cause:
        reference, due = cause[len("mandate ") :].split(" accepted, debit due ", 1)
        return _("mandate %(reference)s granted, debit due %(due)s") % {
            "reference": reference,
            "due": _german_date(due),
        }
    return cause


def _choice_label(choices, value: str) -> str:
    """Return the label of a stored choice, or the value itself where it is no choice."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _german_date(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso
