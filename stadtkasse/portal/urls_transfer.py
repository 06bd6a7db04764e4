"""URLs of the transfer feature, included by portal/urls.py."""

urlpatterns: list = []
