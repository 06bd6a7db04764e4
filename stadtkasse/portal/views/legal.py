"""Imprint, privacy policy and accessibility statement, as the back office sets them."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

PAGES = {
    "imprint": (_("Imprint"), "imprint"),
    "privacy": (_("Privacy policy"), "privacy_policy"),
    "accessibility": (_("Accessibility statement"), "accessibility_statement"),
}


def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    title, attribute = PAGES[page]
    text = getattr(request.municipality, attribute, "") if request.municipality else ""
    return render(request, "portal/legal.html", {"title": title, "text": text})
