"""Sign-in texts shared by the staff logins (counter, back office, admin)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

# Django's own message reads "enter a correct user name and password", as if the fields
# were empty, while staff need to know that the sign-in failed.
INVALID_LOGIN = _(
    "Sign-in failed: the user name or the password is wrong. Please check both; upper and "
    "lower case matter."
)


class StaffAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form with the clearer failure message."""

    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}
