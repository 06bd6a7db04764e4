"""The site's URLs with the demo e-payment platform, for tests that run with DEMO off."""

from django.urls import include, path

from stadtkasse.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("dev/epay/", include("stadtkasse_dev.epay.urls")),
    *[pattern for pattern in site_urlpatterns if str(pattern.pattern) != "dev/epay/"],
]
