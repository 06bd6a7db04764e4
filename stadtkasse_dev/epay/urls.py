from django.urls import path

from stadtkasse_dev.epay import views

app_name = "demo_epay"

urlpatterns = [
    path("pay/", views.pay, name="pay"),
]
