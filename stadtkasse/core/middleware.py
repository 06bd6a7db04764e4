"""Request middleware: the current municipality, and security headers."""

from django.db.models import Case, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from stadtkasse.core.models import Municipality

# Pages load nothing from other hosts: scripts, styles, fonts and images are served by
# Stadtkasse itself, so the portal sets no third-party cookies and needs no cookie banner.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


class MunicipalityMiddleware:
    """Set ``request.municipality`` from the host name, else the default municipality.

    The municipality is loaded on first use, with one query, so that requests that never
    read it (a till's sale, a payment notification) cost nothing here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host().split(":")[0] if request.META.get("HTTP_HOST") else ""
        request.municipality = SimpleLazyObject(lambda: municipality_for_host(host))
        return self.get_response(request)


def municipality_for_host(host: str) -> Municipality | None:
    """Return the municipality whose domain is the host, else the first one."""
    return (
        Municipality.objects.annotate(
            host_rank=Case(When(domain=host, then=Value(0)), default=Value(1))
        )
        .order_by("host_rank", "pk")
        .first()
    )


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
