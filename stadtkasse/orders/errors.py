"""User-facing errors of sales and orders, keyed by a machine code.

The code travels in the API and in logs, so that a till or another service can react to
``invalid_quantity`` without parsing text. ``message`` is the translated sentence for the
user (German by default); ``log_message`` is the English one for the operator's log.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "unknown_product": _(
        "The product “%(product)s” does not exist. Please choose a product from the list."
    ),
    "unknown_variant": _(
        "The price option “%(variant)s” does not exist for “%(product)s”. "
        "Please choose one of the offered options."
    ),
    "product_not_available": _(
        "“%(product)s” is not sold here. Please choose a product offered at this place."
    ),
    "invalid_quantity": _(
        "The quantity “%(quantity)s” is not possible for “%(product)s”. "
        "Please enter a whole number from 1 to %(maximum)s."
    ),
    "missing_quantity": _("Please enter a quantity for “%(product)s”, for example 1."),
    "one_per_application": _(
        "“%(product)s” needs an application per person, so the quantity must be 1. "
        "Please add a separate line with its own data for each further person."
    ),
    "date_implausible": _(
        "The date %(value)s for “%(field)s” lies more than %(years)s years back. Please check it."
    ),
    "too_many_lines": _(
        "An order can have at most %(maximum)s lines. Please split it into several orders."
    ),
    "empty_cart": _("Your cart is empty. Please add at least one product first."),
    "empty_sale": _("The sale has no items. Please add at least one product."),
    "token_reused": _(
        "This request was already used for sale %(code)s, which has other items or another "
        "payment method. Please start a new sale."
    ),
    "invalid_email": _(
        "The e-mail address “%(email)s” is not valid. Please check it, for example name@example.de."
    ),
    "missing_answer": _("Please fill in “%(field)s” for “%(product)s”."),
    "invalid_date": _(
        "“%(value)s” is not a valid date for “%(field)s”. Please enter the date as DD.MM.YYYY."
    ),
    "date_in_future": _("The date %(value)s for “%(field)s” lies in the future. Please check it."),
    "invalid_choice": _(
        "“%(value)s” is not one of the options for “%(field)s”. Please choose an option."
    ),
    "invalid_number": _("“%(value)s” is not a number for “%(field)s”. Please enter a number."),
    "no_price_band": _(
        "No price of “%(product)s” applies to an applicant aged %(age)s. "
        "Please check the date of birth or ask the office."
    ),
    "invalid_amount": _(
        "“%(value)s” is not an amount of money. Please enter it in euros, for example 20,00."
    ),
    "cash_too_low": _(
        "The cash given, %(given)s, is less than the total of %(total)s. "
        "Please take at least %(total)s."
    ),
    "cash_too_high": _(
        "The cash given, %(given)s, is implausibly high for a total of %(total)s. "
        "Please check the amount."
    ),
    "unknown_payment_method": _(
        "The payment method “%(method)s” is not available here. Please choose another one."
    ),
    "not_cashier": _(
        "You may not sell at “%(point_of_sale)s”. Please ask a supervisor to assign you."
    ),
    "order_not_payable": _(
        "The order %(code)s cannot be paid any more because it is %(state)s. "
        "Please start a new order."
    ),
    "unknown_order": _("The order “%(code)s” was not found. Please check the order code."),
}


# Parameters that may carry personal data and never go into a log line.
PERSONAL_PARAMS = {"email", "value"}


class SaleError(CodedError):
    """A sale or order request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
    personal_params = frozenset(PERSONAL_PARAMS)
