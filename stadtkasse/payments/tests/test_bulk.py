import uuid

import pytest
from django.db import connection
from django.utils import timezone

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.counter.services import sell
from stadtkasse.orders.cart import add_item, checkout
from stadtkasse.orders.models import Cart, OrderState
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments import bulk
from stadtkasse.payments.bulk import (
    AUDIT_FIELDS,
    PAYMENT_FIELDS,
    Credit,
    DbValues,
    confirm_credits,
    execute_many,
    insert_rows,
)
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState


@pytest.fixture
def open_order(demo, product):
    def make(slug="abendkarte", quantity=1):
        cart = Cart.objects.create(municipality=demo)
        add_item(cart, LineRequest(product(slug).pk, None, quantity))
        return checkout(cart, email="buerger@example.de")

    return make


def test_exact_credit_pays_order(open_order):
    order = open_order()

    result = confirm_credits(
        [Credit("line-1", order.pk, order.total_cents, "BANKREF1", {"payer_name": "Muster"})],
        provider="bank",
        cause="bank statement",
    )

    order.refresh_from_db()
    payment = Payment.objects.get(pk=result["line-1"])
    assert order.state == OrderState.PAID
    assert payment.state == PaymentState.CONFIRMED
    assert payment.method == PaymentMethod.TRANSFER
    assert payment.provider_reference == "BANKREF1"
    assert payment.events.get().data == {"payer_name": "Muster"}
    assert AuditLogEntry.objects.filter(action="order.paid", object_id=str(order.pk)).count() == 1


@pytest.mark.parametrize("amount_offset", [-1, 1])
def test_inexact_credit_left_to_single_path(open_order, amount_offset):
    order = open_order()

    result = confirm_credits(
        [Credit("line-1", order.pk, order.total_cents + amount_offset)],
        provider="bank",
        cause="bank statement",
    )

    order.refresh_from_db()
    assert result == {}
    assert order.state == OrderState.PENDING_PAYMENT


def test_second_credit_for_same_order_left_out(open_order):
    order = open_order()
    credits = [Credit(key, order.pk, order.total_cents) for key in ("a", "b")]

    result = confirm_credits(credits, provider="bank", cause="bank statement")

    assert set(result) == {"a"}


def test_paid_order_left_out(pool_till, pool_cashier, product):
    ticket = product("abendkarte")
    order = sell(pool_till, pool_cashier, [LineRequest(ticket.pk, None, 1)], method="cash")

    result = confirm_credits(
        [Credit("x", order.pk, order.total_cents)], provider="bank", cause="bank statement"
    )

    assert result == {}
    assert order.payments.count() == 1


def test_pending_debit_left_to_single_path(open_order):
    order = open_order()
    Payment.objects.create(
        order=order,
        method=PaymentMethod.SEPA_DEBIT,
        provider="sepa",
        amount_cents=order.total_cents,
        state=PaymentState.PENDING,
    )

    result = confirm_credits(
        [Credit("x", order.pk, order.total_cents)], provider="bank", cause="bank statement"
    )

    order.refresh_from_db()
    assert result == {}
    assert order.state == OrderState.PENDING_PAYMENT


def test_pending_transfer_confirmed(open_order):
    order = open_order()
    pending = Payment.objects.create(
        order=order,
        method=PaymentMethod.TRANSFER,
        provider="bank",
        amount_cents=order.total_cents,
        state=PaymentState.PENDING,
        provider_reference="PORTAL",
    )

    result = confirm_credits(
        [Credit("x", order.pk, order.total_cents)], provider="bank", cause="bank statement"
    )

    pending.refresh_from_db()
    assert result == {"x": pending.pk}
    assert pending.state == PaymentState.CONFIRMED
    assert pending.provider_reference == "PORTAL"
    assert pending.events.get().from_state == PaymentState.PENDING


# -- insert_rows ---------------------------------------------------------------------------


def audit_rows(count: int, municipality) -> list[tuple]:
    values = DbValues()
    created_at = values.datetime(timezone.now())
    return [
        (
            municipality.pk,
            created_at,
            "test.row",
            "core.test",
            str(number),
            values.json({"n": number}),
        )
        for number in range(count)
    ]


@pytest.mark.parametrize("max_params", [None, 13])
def test_insert_rows_returns_ids_in_order(demo, monkeypatch, max_params):
    if max_params:
        # Two rows of six values per statement, so that the rows span several statements.
        monkeypatch.setattr(bulk, "_max_query_params", lambda: max_params)

    ids = insert_rows(AuditLogEntry, AUDIT_FIELDS, audit_rows(5, demo), return_ids=True)

    stored = dict(AuditLogEntry.objects.filter(action="test.row").values_list("pk", "data"))
    assert len(ids) == 5
    assert [stored[pk] for pk in ids] == [{"n": number} for number in range(5)]


def test_rows_created_after_insert_rows_get_new_ids(demo):
    # On PostgreSQL the ids come from the table's sequence before the COPY; the sequence
    # must have moved past them.
    ids = insert_rows(AuditLogEntry, AUDIT_FIELDS, audit_rows(3, demo), return_ids=True)

    later = AuditLogEntry.objects.create(
        municipality=demo, action="test.later", object_type="core.test", object_id="x"
    )

    assert len(set(ids)) == 3
    assert later.pk > max(ids)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the fallback is for old SQLite")
def test_insert_rows_without_returning(demo, monkeypatch):
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)

    ids = insert_rows(AuditLogEntry, AUDIT_FIELDS, audit_rows(3, demo), return_ids=True)

    stored = dict(AuditLogEntry.objects.filter(action="test.row").values_list("pk", "object_id"))
    assert [stored[pk] for pk in ids] == ["0", "1", "2"]


def test_insert_rows_converts_values(open_order):
    order = open_order()
    values = DbValues()
    now = timezone.now()
    reference = uuid.uuid4()

    (pk,) = insert_rows(
        Payment,
        PAYMENT_FIELDS,
        [
            (
                order.pk,
                PaymentMethod.TRANSFER,
                "bank",
                PaymentState.CONFIRMED,
                order.total_cents,
                values.uuid(reference),
                "REF",
                values.datetime(now),
                values.datetime(now),
                False,
                "",
                "",
            )
        ],
        return_ids=True,
    )

    payment = Payment.objects.get(pk=pk)
    assert payment.reference == reference
    assert payment.created_at == now
    assert payment.confirmed_at == now
    assert payment.needs_clarification is False
    assert payment.tendered_cents is None


def test_execute_many_updates_each_row(demo):
    ids = insert_rows(AuditLogEntry, AUDIT_FIELDS, audit_rows(3, demo), return_ids=True)

    execute_many(
        "UPDATE core_auditlogentry SET object_id = %s WHERE id = %s",
        [(f"new-{pk}", pk) for pk in ids],
    )

    stored = dict(AuditLogEntry.objects.filter(pk__in=ids).values_list("pk", "object_id"))
    assert stored == {pk: f"new-{pk}" for pk in ids}


def test_new_uuids_are_random_version_4():
    values = bulk.new_uuids(1000)

    assert len(set(values)) == 1000
    assert {value.version for value in values} == {4}
    assert {value.variant for value in values} == {uuid.RFC_4122}
