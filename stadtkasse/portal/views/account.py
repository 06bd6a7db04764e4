"""Citizen accounts: register, confirm the e-mail address, log in and out, order history."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stadtkasse.portal.errors import PortalError, portal_message
from stadtkasse.portal.forms import LoginForm, RegisterForm
from stadtkasse.portal.services.access import citizen_orders, is_email_verified
from stadtkasse.portal.services.accounts import normalize_email, register_citizen, verify_email
from stadtkasse.portal.services.carts import adopt_cart
from stadtkasse.portal.services.mail import send_verification_mail
from stadtkasse.portal.views.common import base_url


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def _log_in(request: HttpRequest, user) -> None:
    adopt_cart(request, user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = register_citizen(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except PortalError as error:
            form.add_error("email", error.message)
        else:
            _log_in(request, user)
            send_verification_mail(user, base_url=base_url(request))
            messages.success(
                request,
                _(
                    "Your account has been created. We sent a link to %(email)s; please open it "
                    "to confirm your e-mail address."
                )
                % {"email": user.email},
            )
            return redirect("portal:history")
    return render(request, "portal/account/register.html", {"form": form})


def log_in(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=normalize_email(form.cleaned_data["email"]),
            password=form.cleaned_data["password"],
        )
        if user is None:
            error = portal_message("invalid_login")
        elif user.is_staff:
            error = portal_message("staff_login")
        else:
            _log_in(request, user)
            return redirect(_next_url(request) or "portal:history")
    return render(
        request,
        "portal/account/login.html",
        {
            "form": form,
            "error": error,
            "next": _next_url(request),
        },
    )


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("portal:home")


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        verify_email(token)
    except PortalError as error:
        messages.error(request, error.message)
        return redirect("portal:login")
    messages.success(
        request,
        _(
            "Thank you, your e-mail address is confirmed. Your history now also shows orders "
            "placed with this address, including those at the counter."
        ),
    )
    return redirect("portal:history" if request.user.is_authenticated else "portal:login")


@require_POST
@login_required
def resend_verification(request: HttpRequest) -> HttpResponse:
    if not is_email_verified(request.user):
        send_verification_mail(request.user, base_url=base_url(request))
        messages.info(
            request,
            _("We sent a new confirmation link to %(email)s.") % {"email": request.user.email},
        )
    return redirect("portal:history")


@login_required
def history(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff:
        logout(request)
        messages.error(request, portal_message("staff_login"))
        return redirect("portal:login")
    orders = citizen_orders(request.user).prefetch_related("lines")
    return render(
        request,
        "portal/account/history.html",
        {
            "orders": orders,
            "verified": is_email_verified(request.user),
        },
    )
