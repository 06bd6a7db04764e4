"""User-facing errors of SEPA transfers, mandates and exports, keyed by a machine code.

``message`` is the translated sentence for the user (German by default). ``log_message``
is English for the operator's log, with IBANs and names masked.
"""

from django.utils.translation import gettext_lazy as _

from stadtkasse.core.errors import CodedError

MESSAGES = {
    "missing_iban": _("Please enter the IBAN of the account to be debited."),
    "invalid_iban_checksum": _(
        "The IBAN “%(value)s” is not valid because its check digits do not match. "
        "Please compare it with your bank card or account statement."
    ),
    "invalid_iban_length": _(
        "The IBAN “%(value)s” has the wrong length for its country. "
        "Please check that no digit is missing or doubled."
    ),
    "invalid_iban_country": _(
        "The IBAN “%(value)s” does not start with a known country code. "
        "Please check it, for example DE02 1203 0000 0000 2020 51."
    ),
    "invalid_iban": _(
        "The IBAN “%(value)s” is not valid. "
        "Please check it, for example DE02 1203 0000 0000 2020 51."
    ),
    "iban_not_sepa": _(
        "The IBAN “%(value)s” belongs to an account outside the SEPA area, so it cannot be "
        "debited. Please enter the IBAN of an account in the SEPA area."
    ),
    "invalid_bic": _(
        "The BIC “%(value)s” is not valid. Please enter 8 or 11 characters, for example "
        "BYLADEM1001."
    ),
    "invalid_creditor_id": _(
        "The creditor identifier “%(value)s” is not valid. Please check it, for example "
        "DE98ZZZ09999999999."
    ),
    "invalid_mandate_prefix": _(
        "The mandate reference prefix “%(value)s” is not valid. Please use 1 to 8 capital "
        "letters or digits."
    ),
    "missing_account_holder": _("Please enter the name of the account holder."),
    "invalid_account_holder": _(
        "The name “%(value)s” cannot be used for a bank transaction. Please use at most "
        "70 characters and no line breaks."
    ),
    "missing_address_street": _(
        "Please enter the street and house number. For direct debits from accounts outside "
        "the European Economic Area (EEA), the address of the account holder is required."
    ),
    "missing_address_postcode": _(
        "Please enter the postcode. For direct debits from accounts outside the European "
        "Economic Area (EEA), the address of the account holder is required."
    ),
    "missing_address_town": _(
        "Please enter the town. For direct debits from accounts outside the European "
        "Economic Area (EEA), the address of the account holder is required."
    ),
    "address_part_too_long": _(
        "“%(value)s” is too long for a bank transaction. Please use at most %(max)s characters."
    ),
    "invalid_country": _(
        "“%(value)s” is not a known country code. Please enter the two-letter code of the "
        "country, for example CH or GB."
    ),
    "invalid_mandate_type": _("Please choose whether the mandate is one-off or recurring."),
    "mandate_not_accepted": _(
        "Please confirm that you grant the SEPA direct debit mandate, or choose another "
        "payment method."
    ),
    "payment_not_open": _(
        "The payment for order %(code)s is no longer open, so no mandate can be given for it. "
        "Please see the order page."
    ),
    "payment_not_found": _(
        "We could not find this payment, or it belongs to another browser. Please open the "
        "link in your e-mail or log in to your account."
    ),
    "invalid_due_date": _("“%(value)s” is not a valid date. Please enter it as YYYY-MM-DD."),
    "unknown_schema": _(
        "The schema “%(value)s” is not supported. Please choose one of: %(choices)s."
    ),
    "no_sepa_settings": _(
        "The bank account of %(municipality)s is not set up yet. Please enter it in the "
        "administration under SEPA settings."
    ),
    "invalid_sepa_file": _(
        "The %(kind)s file did not pass the check against its XML schema (%(detail)s). "
        "Nothing was exported. Please report this to the IT department."
    ),
}

# Parameters that may carry personal data (IBANs, names) and never go into a log line.
PERSONAL_PARAMS = {"value"}


class SepaError(CodedError):
    """A SEPA request that cannot be carried out; nothing was stored."""

    messages = MESSAGES
    personal_params = frozenset(PERSONAL_PARAMS)
