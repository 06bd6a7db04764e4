"""The prepared counter sale stores the rows of the general path, on both databases."""

import pytest
from django.db import IntegrityError, connection
from django.forms.models import model_to_dict

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import AuditLogEntry
from stadtkasse.core.services import next_kassenzeichen
from stadtkasse.counter.paid_sale import store_paid_sale
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order
from stadtkasse.payments.models import PaymentMethod
from stadtkasse.payments.services import record_cash_payment, record_external_card_payment

# Values that differ between any two sales: keys, codes, numbers, times and tokens.
UNIQUE_FIELDS = {
    "id",
    "order",
    "payment",
    "code",
    "kassenzeichen",
    "submit_token",
    "reference",
    "created_at",
    "paid_at",
    "confirmed_at",
    "object_id",
}


def priced(pool_till, product):
    ticket = product("tageskarte")
    evening = product("abendkarte")
    requests = [
        LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 2),
        LineRequest(evening.pk, None, 1),
    ]
    return price_lines(
        pool_till.municipality, requests, channel=Channel.COUNTER, point_of_sale=pool_till
    )


def general_sale(pool_till, cashier, lines, method, tendered_cents):
    order = create_order(
        pool_till.municipality,
        lines,
        channel=Channel.COUNTER,
        point_of_sale=pool_till,
        cashier=cashier,
        email="gast@example.org",
        state=OrderState.OPEN,
        submit_token="general",
    )
    if method == PaymentMethod.CASH:
        record_cash_payment(order, tendered_cents=tendered_cents, cashier=cashier)
    else:
        record_external_card_payment(order, cashier=cashier)
    return Order.objects.get(pk=order.pk)


def prepared_sale(pool_till, cashier, lines, method, tendered_cents):
    order, _payment = store_paid_sale(
        pool_till.municipality,
        lines,
        point_of_sale=pool_till,
        cashier=cashier,
        method=method,
        kassenzeichen=(
            next_kassenzeichen(pool_till.municipality)
            if connection.vendor == "postgresql"
            else None
        ),
        submit_token="prepared",
        email="gast@example.org",
        tendered_cents=tendered_cents,
    )
    return Order.objects.get(pk=order.pk)


def rows(order: Order) -> dict:
    """Return the stored rows of a sale without the values unique to it."""

    def plain(instance) -> dict:
        return {
            name: value
            for name, value in model_to_dict(instance).items()
            if name not in UNIQUE_FIELDS
        }

    payments = list(order.payments.all())
    return {
        "order": plain(order),
        "lines": [plain(line) for line in order.lines.order_by("pk")],
        "payments": [plain(payment) for payment in payments],
        "events": [plain(event) for payment in payments for event in payment.events.all()],
        "audit": [
            plain(entry)
            for entry in AuditLogEntry.objects.filter(
                object_type="orders.order", object_id=str(order.pk)
            )
        ],
    }


@pytest.mark.parametrize(
    ("method", "tendered_cents"),
    [(PaymentMethod.CASH, 2000), (PaymentMethod.CARD_EXTERNAL, None)],
)
def test_paid_sale_rows_match_general_path(
    pool_till, pool_cashier, product, method, tendered_cents
):
    lines = priced(pool_till, product)

    general = general_sale(pool_till, pool_cashier, lines, method, tendered_cents)
    fast = prepared_sale(pool_till, pool_cashier, lines, method, tendered_cents)

    assert rows(fast) == rows(general)
    assert len(rows(fast)["lines"]) == 2
    assert len(rows(fast)["audit"]) == 1


def test_paid_sale_answers_match_general_path(office_counter, product):
    from django.contrib.auth import get_user_model

    cashier = get_user_model().objects.get(username="kasse.buergerbuero")
    identity_card = product("personalausweis")
    request = LineRequest(identity_card.pk, None, 1, {"geburtsdatum": "01.05.1990"})
    lines = price_lines(
        office_counter.municipality,
        [request],
        channel=Channel.COUNTER,
        point_of_sale=office_counter,
    )

    general = general_sale(office_counter, cashier, lines, PaymentMethod.CASH, 5000)
    fast = prepared_sale(office_counter, cashier, lines, PaymentMethod.CASH, 5000)

    assert rows(fast) == rows(general)
    assert rows(fast)["lines"][0]["answers"]["geburtsdatum"]["value"] == "1990-05-01"


def test_paid_sale_one_time_for_all_rows(pool_till, pool_cashier, product):
    order = prepared_sale(
        pool_till, pool_cashier, priced(pool_till, product), PaymentMethod.CASH, 2000
    )

    payment = order.payments.get()
    entry = AuditLogEntry.objects.get(object_type="orders.order", object_id=str(order.pk))
    assert order.paid_at == order.created_at
    assert payment.confirmed_at == order.created_at
    assert payment.events.get().created_at == order.created_at
    assert entry.created_at == order.created_at


def test_paid_sale_repeated_token_stores_nothing(pool_till, pool_cashier, product):
    lines = priced(pool_till, product)
    prepared_sale(pool_till, pool_cashier, lines, PaymentMethod.CASH, 2000)
    counts = {model: model.objects.count() for model in (Order, AuditLogEntry)}

    with pytest.raises(IntegrityError):
        prepared_sale(pool_till, pool_cashier, lines, PaymentMethod.CASH, 2000)

    # The savepoint kept the test's transaction usable, and no row was added.
    assert {model: model.objects.count() for model in (Order, AuditLogEntry)} == counts
