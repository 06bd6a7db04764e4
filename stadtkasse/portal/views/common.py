"""Helpers shared by the portal views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def base_url(request: HttpRequest) -> str:
    """Return the absolute address of the site root, for links in e-mails and to providers."""
    return request.build_absolute_uri("/")


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": message}, status=404)
