"""URLs of the paylink feature, included by counter/urls.py."""

from django.urls import path

from stadtkasse.counter import views_paylink

urlpatterns = [
    path("<int:pos_id>/zahlungslink", views_paylink.create, name="paylink_create"),
    path(
        "<int:pos_id>/zahlungslink/<int:link_id>/status",
        views_paylink.status,
        name="paylink_status",
    ),
    path(
        "<int:pos_id>/zahlungslink/<int:link_id>/abbrechen",
        views_paylink.cancel,
        name="paylink_cancel",
    ),
]
