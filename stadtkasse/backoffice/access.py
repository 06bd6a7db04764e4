"""Access to the back office: staff only, and each page behind its permission."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse


def forbidden(request: HttpRequest) -> HttpResponse:
    """Render the 403 page that tells staff their account lacks the permission for a page."""
    return TemplateResponse(request, "backoffice/forbidden.html", status=403)


def staff_required(permission: str | None = None) -> Callable:
    """Let a view run only for signed-in staff, and only with ``permission`` where one is given.

    Anonymous users are sent to the back office login. Signed-in users without staff
    status or without the permission get a 403 page.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
            if not user.is_active or not user.is_staff:
                return forbidden(request)
            if permission and not user.has_perm(permission):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
