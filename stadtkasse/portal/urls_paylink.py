"""URLs of the paylink feature, included by portal/urls.py."""

urlpatterns: list = []
