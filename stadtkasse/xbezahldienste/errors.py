"""User-facing messages of the e-payment platform configuration, keyed by a machine code.

Errors of the platform itself reach the code as ProviderError (English, for logs); the
citizen sees the portal's generic message about a payment that could not start.
"""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "invalid_url": _(
        "“%(value)s” is not a web address. Please enter it with https://, "
        "as the platform operator gave it."
    ),
    "relative_url_outside_demo": _(
        "“%(value)s” is a path on this server, which only the demo allows. "
        "Please enter the full address with https://."
    ),
    "required_for_oauth2": _("Please fill this in, because the platform uses OAuth2."),
    "required_for_certificate": _(
        "Please enter the path of the certificate file, because the platform uses a "
        "client certificate."
    ),
    "required_for_basic": _("Please fill this in, because the platform uses HTTP Basic."),
    "invalid_booking_keys": _(
        "The booking data keys must be a JSON object from the values %(sources)s to key "
        'names, for example {"ledger_account": "SACHKONTO"}.'
    ),
}


def config_message(code: str, **params) -> str:
    """Return the message for a configuration error in the active language."""
    return str(MESSAGES[code]) % params
