from django.urls import path

from stadtkasse_dev.xbezahldienste import views

app_name = "dev_xbezahldienste"

urlpatterns = [
    path("", views.endpoint, {"path": ""}, name="root"),
    path("<path:path>", views.endpoint, name="endpoint"),
]
