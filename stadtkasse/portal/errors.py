"""User-facing messages of the portal, keyed by a machine code.

Errors of pricing and checkout come from the ledger as ``SaleError``; these are the
portal's own: payment outcomes, accounts and access. ``message`` is German by default,
``log_message`` is English for the operator's log.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "payment_received": _(
        "Thank you, we received your payment. Order %(code)s is paid. The confirmation "
        "with the receipt is on its way to your e-mail address."
    ),
    "payment_received_no_mail": _(
        "Thank you, we received your payment. Order %(code)s is paid. You can show this page "
        "at the counter or download the receipt below."
    ),
    "payment_canceled": _(
        "You canceled the payment. Order %(code)s is not paid yet. You can pay it "
        "until %(deadline)s."
    ),
    "payment_failed": _(
        "The payment failed, so order %(code)s is not paid yet. Please try again or "
        "choose another payment method. You can pay until %(deadline)s."
    ),
    "payment_unconfirmed": _(
        "The result of your payment for order %(code)s has not arrived yet. Please reload "
        "this page in a minute. You will not be charged twice."
    ),
    "payment_after_expiry": _(
        "We received your payment, but order %(code)s had already expired. The Stadtkasse "
        "will refund the amount or contact you. You do not need to do anything."
    ),
    "payment_already_paid": _(
        "Order %(code)s had already been paid. We received a second payment; the "
        "Stadtkasse will refund it or contact you. You do not need to do anything."
    ),
    "payment_amount_mismatch": _(
        "The amount paid differs from the total of order %(code)s. The Stadtkasse will "
        "check the payment and contact you."
    ),
    "payment_start_failed": _(
        "The payment service could not be reached, so the payment for order %(code)s was "
        "not started. Please try again in a few minutes."
    ),
    "order_expired": _(
        "Order %(code)s can no longer be paid because its payment time ran out. "
        "Please put the products into the cart again."
    ),
    "order_debit_pending": _(
        "Order %(code)s is paid by direct debit: the amount will be collected from your "
        "account, so you do not need to pay it again."
    ),
    "order_already_placed": _(
        "Your order %(code)s has already been placed. You do not need to order again."
    ),
    "no_payment_method": _("Please choose a payment method."),
    "no_variant": _("Please choose a price option for “%(product)s”."),
    "product_not_online": _(
        "“%(product)s” cannot be ordered online. Please ask the %(operator)s about it."
    ),
    "product_not_found": _(
        "We could not find this service. Please search for it or choose a category."
    ),
    "order_not_found": _(
        "We could not find order %(code)s, or it belongs to another browser. Please open "
        "the link in your confirmation e-mail or log in to your account."
    ),
    "receipt_not_ready": _("The receipt of order %(code)s is available once the order is paid."),
    "no_online_payment": _(
        "Online payment is not available at the moment. Please try again later or pay "
        "at the counter of the Bürgerbüro."
    ),
    "email_taken": _(
        "An account with the e-mail address “%(email)s” already exists. Please log in "
        "or use another address."
    ),
    "invalid_login": _(
        "The e-mail address or the password is wrong. Please check both and try again."
    ),
    "staff_login": _(
        "This is a staff account. Please log in to the counter or the back office instead."
    ),
    "invalid_verification_link": _(
        "The confirmation link is invalid or older than %(days)s days. Please log in and "
        "request a new link."
    ),
    "passwords_differ": _("The two passwords differ. Please enter the same password twice."),
}

# Parameters that may carry personal data and never go into a log line.
PERSONAL_PARAMS = {"email"}


class PortalError(CodedError):
    """A portal request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
    personal_params = frozenset(PERSONAL_PARAMS)


def portal_message(message_code: str, /, **params) -> str:
    """Return the translated message of a code, for notices that are not exceptions."""
    return PortalError(message_code, **params).message
