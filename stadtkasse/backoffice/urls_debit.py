from django.urls import path

from stadtkasse.backoffice import views_debit

urlpatterns = [
    path("lastschriften/", views_debit.debits, name="sepa_debits"),
    path("lastschriften/export/", views_debit.export_debits, name="sepa_export_debits"),
    path("lastschriften/erstattungen/", views_debit.export_refunds, name="sepa_export_refunds"),
    path("lastschriften/datei/<int:pk>/", views_debit.download, name="sepa_file"),
]
