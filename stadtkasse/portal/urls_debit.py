"""URLs of the debit feature, included by portal/urls.py."""

urlpatterns: list = []
