"""URLs of the refunds feature, included by backoffice/urls.py."""

urlpatterns: list = []
