"""URLs of the banking feature, included by backoffice/urls.py."""

from django.urls import path

from stadtkasse.backoffice import views_banking

urlpatterns = [
    path("kontoauszuege/", views_banking.statements, name="bank_statements"),
    path("kontoauszuege/<int:pk>/", views_banking.import_detail, name="bank_import"),
    path(
        "kontoauszuege/zeile/<int:pk>/zuordnen/",
        views_banking.assign,
        name="bank_line_assign",
    ),
    path(
        "kontoauszuege/zeile/<int:pk>/erledigt/",
        views_banking.mark_done,
        name="bank_line_done",
    ),
]
