from django.urls import path

app_name = "demo_epay"

urlpatterns: list = []
