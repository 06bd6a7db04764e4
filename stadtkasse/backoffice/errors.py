"""User-facing messages of the back office, keyed by a machine code.

Every message names the value that was entered and what to enter instead. The
sentences are English msgids, shown in German through the back office's catalog.
"""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "invalid_date": _(
        "“%(value)s” is not a valid date for “%(field)s”. "
        "Please enter the date as DD.MM.YYYY, for example 31.03.2026."
    ),
    "date_range_reversed": _(
        "The start date %(date_from)s lies after the end date %(date_to)s. "
        "Please choose a start date on or before the end date."
    ),
    "invalid_choice": _(
        "“%(value)s” is not one of the options for “%(field)s”. Please choose an option "
        "from the list."
    ),
}


def message(code: str, **params: object) -> str:
    """Return the message for a code in the active language, with its values filled in."""
    return str(MESSAGES[code]) % {key: str(value) for key, value in params.items()}
