"""URLs of the debit feature, included by backoffice/urls.py."""

urlpatterns: list = []
