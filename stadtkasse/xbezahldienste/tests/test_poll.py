from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import Payment, PaymentEvent, PaymentState
from stadtkasse.xbezahldienste.models import PlatformTransaction
from stadtkasse.xbezahldienste.tests.conftest import control, pay_on_page, start


def age(payment, minutes):
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def poll(*args) -> str:
    output = StringIO()
    call_command("poll_epayments", *args, stdout=output)
    return output.getvalue().strip()


def test_poll_confirms_payment_without_return(platform, order):
    payment, url = start(order)
    pay_on_page(url)
    age(payment, 10)

    output = poll()

    payment.refresh_from_db()
    order.refresh_from_db()
    assert output == "1 payments checked: 1 changed, 0 still pending, 0 failed."
    assert payment.state == PaymentState.CONFIRMED
    assert order.is_paid


def test_poll_leaves_young_payments_alone(platform, order):
    payment, url = start(order)
    pay_on_page(url)

    output = poll("--min-age", "5")

    assert output == "0 payments checked: 0 changed, 0 still pending, 0 failed."


def test_poll_skips_payments_past_max_age(platform, order):
    payment, url = start(order)
    age(payment, 60 * 49)

    output = poll("--max-age", "48")

    assert output == "0 payments checked: 0 changed, 0 still pending, 0 failed."


def test_poll_counts_pending_without_event(platform, order):
    payment, _url = start(order)
    age(payment, 10)
    events = PaymentEvent.objects.filter(payment=payment).count()

    output = poll()

    assert output == "1 payments checked: 0 changed, 1 still pending, 0 failed."
    assert PaymentEvent.objects.filter(payment=payment).count() == events


def test_poll_twice_confirms_once(platform, order):
    payment, url = start(order)
    pay_on_page(url, "cancel")
    age(payment, 10)

    first, second = poll(), poll()

    payment.refresh_from_db()
    assert first == "1 payments checked: 1 changed, 0 still pending, 0 failed."
    assert second == "0 payments checked: 0 changed, 0 still pending, 0 failed."
    assert payment.state == PaymentState.CANCELED


def test_poll_counts_platform_errors(platform, stub, order):
    payment, _url = start(order)
    age(payment, 10)
    control(stub, faults=[{"path": "paymenttransaction", "method": "GET", "status": 503}])

    output = poll()

    payment.refresh_from_db()
    assert output == "1 payments checked: 0 changed, 0 still pending, 1 failed."
    assert payment.state == PaymentState.PENDING


def test_poll_limit_takes_least_recently_checked(platform, order, demo, product):
    first, _url = start(order)
    cart = Cart.objects.create(municipality=demo)
    ticket = product("abendkarte")
    add_item(cart, LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1))
    second, _url = start(checkout(cart, email="buerger@example.de"))
    age(first, 20)
    age(second, 10)

    poll("--limit", "1")
    first_checked = PlatformTransaction.objects.get(payment=first).checked_at
    second_before = PlatformTransaction.objects.get(payment=second).checked_at
    poll("--limit", "1")

    assert first_checked is not None
    assert second_before is None
    assert PlatformTransaction.objects.get(payment=second).checked_at is not None
