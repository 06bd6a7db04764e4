from stadtkasse.counter.services import sell
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.portal.services.payments import describe_payment


def test_paid_order_without_email_promises_no_mail(pool_till, pool_cashier, product):
    ticket = product("abendkarte")
    order = sell(pool_till, pool_cashier, [LineRequest(ticket.pk, None, 1)], method="cash")

    outcome = describe_payment(order.payments.get())

    assert outcome.text == (
        f"Vielen Dank, Ihre Zahlung ist eingegangen. Die Bestellung {order.code} ist bezahlt. "
        "Sie können diese Seite an der Kasse vorzeigen oder den Beleg unten herunterladen."
    )
