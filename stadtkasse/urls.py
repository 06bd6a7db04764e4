from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from stadtkasse.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("kasse/", include("stadtkasse.counter.urls")),
    path("verwaltung/", include("stadtkasse.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("stadtkasse.api.urls")),
    path("", include("stadtkasse.portal.urls")),
]

if settings.DEMO:
    urlpatterns.insert(0, path("dev/epay/", include("stadtkasse_dev.epay.urls")))
