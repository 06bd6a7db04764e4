"""Request middleware: the current municipality, and security headers."""

from django.http import HttpRequest, HttpResponse

from stadtkasse.core.models import Municipality
from stadtkasse.core.services import default_municipality

# Pages load nothing from other hosts: scripts, styles, fonts and images are served by
# Stadtkasse itself, so the portal sets no third-party cookies and needs no cookie banner.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


class MunicipalityMiddleware:
    """Set ``request.municipality`` from the host name, else the default municipality."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host().split(":")[0] if request.META.get("HTTP_HOST") else ""
        municipality = None
        if host:
            municipality = Municipality.objects.filter(domain=host).first()
        request.municipality = municipality or default_municipality()
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Add a Content-Security-Policy that allows only this server's own resources."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
