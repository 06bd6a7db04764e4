"""URLs of the terminal feature, included by counter/urls.py."""

from django.urls import path

from stadtkasse.counter import views_terminal

urlpatterns = [
    path("<int:pos_id>/terminal/zahlung", views_terminal.pay, name="terminal_pay"),
    path(
        "<int:pos_id>/terminal/tagesabschluss",
        views_terminal.end_of_day,
        name="terminal_end_of_day",
    ),
    path(
        "<int:pos_id>/terminal/erstattungen",
        views_terminal.refunds,
        name="terminal_refunds",
    ),
    path(
        "<int:pos_id>/terminal/erstattungen/<int:refund_id>",
        views_terminal.start_refund,
        name="terminal_refund_start",
    ),
    path(
        "<int:pos_id>/terminal/vorgang/<int:transaction_id>",
        views_terminal.status,
        name="terminal_status",
    ),
    path(
        "<int:pos_id>/terminal/vorgang/<int:transaction_id>/abbrechen",
        views_terminal.abort,
        name="terminal_abort",
    ),
    path(
        "<int:pos_id>/terminal/vorgang/<int:transaction_id>/pruefen",
        views_terminal.recover,
        name="terminal_recover",
    ),
    path(
        "<int:pos_id>/terminal/vorgang/<int:transaction_id>/stornieren",
        views_terminal.cancel_order,
        name="terminal_cancel_order",
    ),
    path(
        "<int:pos_id>/terminal/vorgang/<int:transaction_id>/erneut",
        views_terminal.retry,
        name="terminal_retry",
    ),
]
