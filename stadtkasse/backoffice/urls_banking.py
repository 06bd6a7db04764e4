"""URLs of the banking feature, included by backoffice/urls.py."""

urlpatterns: list = []
