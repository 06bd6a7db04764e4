"""URLs of the refunds feature, included by backoffice/urls.py."""

from django.urls import path

from stadtkasse.backoffice import views_refunds

urlpatterns = [
    path("klaerung/", views_refunds.queue, name="clarification_queue"),
    path(
        "klaerung/<str:reference>/<str:action>/",
        views_refunds.clarify,
        name="clarify_payment",
    ),
    path("erstattungen/auftrag/<str:code>/", views_refunds.refund, name="refund_order"),
    path("erstattungen/<int:pk>/abschliessen/", views_refunds.complete, name="complete_refund"),
]
