"""URLs of the paylink feature, included by counter/urls.py."""

urlpatterns: list = []
