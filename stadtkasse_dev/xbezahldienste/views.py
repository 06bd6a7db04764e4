"""The XBezahldienste platform stub inside the demo server, under /dev/xbezahldienste/."""

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from stadtkasse_dev.xbezahldienste.platform import StubPlatform, StubRequest, StubStore


@cache
def platform() -> StubPlatform:
    return StubPlatform(
        StubStore(settings.XBEZAHLDIENSTE_STUB_STORE),
        clients={
            settings.XBEZAHLDIENSTE_DEMO_CLIENT_ID: settings.XBEZAHLDIENSTE_DEMO_CLIENT_SECRET
        },
        stylesheets=[
            static("vendor/kern-ux/fonts/fira-sans.css"),
            static("vendor/kern-ux/kern.min.css"),
            static("dev_xbezahldienste/stub.css"),
        ],
    )


# The API is called server to server with a bearer token. The payment page's form carries
# a per-transaction token of its own, which stands in for Django's CSRF token.
@csrf_exempt
def endpoint(request: HttpRequest, path: str) -> HttpResponse:
    stub_response = platform().handle(
        StubRequest(
            method=request.method,
            path=path,
            headers=dict(request.headers),
            body=request.body,
            base_url=request.build_absolute_uri(reverse("dev_xbezahldienste:root")),
        )
    )
    response = HttpResponse(
        stub_response.body,
        status=stub_response.status,
        content_type=stub_response.content_type,
    )
    for name, value in stub_response.headers.items():
        response[name] = value
    return response
