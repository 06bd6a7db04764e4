"""URLs of the paylink feature, included by portal/urls.py."""

from django.urls import path

from stadtkasse.portal.views import paylink

urlpatterns = [
    path("zahlen/<str:token>/", paylink.pay_link, name="paylink"),
]
