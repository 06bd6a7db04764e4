"""The site's URLs with the platform stub mounted, for tests that run with DEMO off."""

from django.urls import include, path

from stadtkasse.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("dev/xbezahldienste/", include("stadtkasse_dev.xbezahldienste.urls")),
    *[pattern for pattern in site_urlpatterns if str(pattern.pattern) != "dev/xbezahldienste/"],
]
