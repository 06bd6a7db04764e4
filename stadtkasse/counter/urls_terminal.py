"""URLs of the terminal feature, included by counter/urls.py."""

urlpatterns: list = []
