"""Sign-in texts shared by the staff logins (counter, back office, admin), and the lockout page."""

import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Django's own message reads "enter a correct user name and password", as if the fields
# were empty, while staff need to know that the sign-in failed.
INVALID_LOGIN = _(
    "Sign-in failed: the user name or the password is wrong. Please check both; upper and "
    "lower case matter."
)


class StaffAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form with the clearer failure message."""

    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """Render the page shown while a user name is locked after too many failed logins.

    django-axes calls this instead of its own response. Citizens see it in the portal's
    design, staff in the till's. No user name goes into the log.
    """
    logger.warning("login locked after failed attempts: path=%s", request.path)
    template = (
        "portal/login_locked.html"
        if request.path.startswith("/konto/")
        else "counter/login_locked.html"
    )
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, template, {"minutes": minutes}, status=429)
