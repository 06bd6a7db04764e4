from django.urls import include, path

from stadtkasse.counter import views

app_name = "counter"

urlpatterns = [
    path("", views.start, name="start"),
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("abmelden/", views.LogoutView.as_view(), name="logout"),
    path("beleg/<slug:code>/", views.receipt, name="receipt"),
    path("beleg/<slug:code>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("<int:pos_id>/", views.till, name="till"),
    path("<int:pos_id>/verkauf", views.sale, name="sale"),
    path("<int:pos_id>/artikel", views.barcode, name="barcode"),
    # Feature URL modules; each feature keeps its own routes.
    path("", include("stadtkasse.counter.urls_terminal")),
    path("", include("stadtkasse.counter.urls_paylink")),
]
