from django.urls import include, path

from stadtkasse.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.start, name="start"),
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("abmelden/", views.LogoutView.as_view(), name="logout"),
    path("journal/", views.ledger_view, name="ledger"),
    # Before the order detail, so that "export.csv" is never taken for an order code.
    path("journal/export.csv", views.export_csv, name="export"),
    path("journal/<str:code>/", views.order_detail, name="order"),
    # Feature URL modules; each feature keeps its own routes.
    path("", include("stadtkasse.backoffice.urls_refunds")),
    path("", include("stadtkasse.backoffice.urls_banking")),
    path("", include("stadtkasse.backoffice.urls_debit")),
]
