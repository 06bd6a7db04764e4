from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve as serve_file

from stadtkasse.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page, whatever the page links.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("kasse/", include("stadtkasse.counter.urls")),
    path("verwaltung/", include("stadtkasse.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("stadtkasse.api.urls")),
    path("", include("stadtkasse.portal.urls")),
]

if settings.DEMO:
    urlpatterns.insert(0, path("dev/epay/", include("stadtkasse_dev.epay.urls")))
    urlpatterns.insert(
        0, path("dev/xbezahldienste/", include("stadtkasse_dev.xbezahldienste.urls"))
    )

if settings.SERVE_MEDIA:
    urlpatterns.insert(
        0,
        re_path(
            r"^media/(?P<path>.+)$",
            serve_file,
            {"document_root": settings.MEDIA_ROOT},
            name="media",
        ),
    )
