import pytest

from stadtkasse.counter.services import sell
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState


def day_ticket_adult(product):
    ticket = product("tageskarte")
    return LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 2)


def test_cash_sale_stores_paid_order(pool_till, pool_cashier, product):
    order = sell(
        pool_till,
        pool_cashier,
        [day_ticket_adult(product)],
        method=PaymentMethod.CASH,
        tendered_cents=1000,
    )

    assert order.state == OrderState.PAID
    assert order.total_cents == 800
    assert order.channel == "counter"
    assert order.point_of_sale == pool_till
    payment = order.payments.get()
    assert payment.state == PaymentState.CONFIRMED
    assert payment.change_cents == 200
    line = order.lines.get()
    assert line.vat_rate == 700
    assert line.vat_cents == 52  # 800 - 800 / 1.07 = 52.34, rounded half up


def test_cash_below_total_stores_nothing(pool_till, pool_cashier, product):
    with pytest.raises(SaleError) as raised:
        sell(
            pool_till,
            pool_cashier,
            [day_ticket_adult(product)],
            method=PaymentMethod.CASH,
            tendered_cents=500,
        )

    assert raised.value.code == "cash_too_low"
    assert raised.value.message == (
        "Das gegebene Bargeld (5,00\u00a0€) ist weniger als die Summe von 8,00\u00a0€. "
        "Bitte nehmen Sie mindestens 8,00\u00a0€ an."
    )
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0


def test_empty_sale_rejected(pool_till, pool_cashier):
    with pytest.raises(SaleError) as raised:
        sell(pool_till, pool_cashier, [], method=PaymentMethod.CASH)

    assert raised.value.code == "empty_sale"


def test_product_of_other_operator_rejected(pool_till, pool_cashier, product):
    passport = product("reisepass-48-seiten")

    with pytest.raises(SaleError) as raised:
        sell(
            pool_till,
            pool_cashier,
            [LineRequest(passport.pk, None, 1)],
            method=PaymentMethod.CASH,
            tendered_cents=5000,
        )

    assert raised.value.code == "product_not_available"
    assert Order.objects.count() == 0


def test_same_submit_token_one_order(pool_till, pool_cashier, product):
    first = sell(
        pool_till,
        pool_cashier,
        [day_ticket_adult(product)],
        method=PaymentMethod.CARD_EXTERNAL,
        submit_token="till-1:abc",
    )
    second = sell(
        pool_till,
        pool_cashier,
        [day_ticket_adult(product)],
        method=PaymentMethod.CARD_EXTERNAL,
        submit_token="till-1:abc",
    )

    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_cashier_of_other_till_rejected(office_counter, pool_cashier, product):
    fee = product("meldebescheinigung")

    with pytest.raises(SaleError) as raised:
        sell(
            office_counter, pool_cashier, [LineRequest(fee.pk, None, 1)], method=PaymentMethod.CASH
        )

    assert raised.value.code == "not_cashier"
