"""Store a counter sale that is paid at once with few, prepared SQL statements.

The general path stores a sale with ``create_order`` and ``record_cash_payment``: six
statements in a transaction, each built by the ORM (order, lines, payment, payment event,
order update, audit entry). Here every statement and its values are built before the
database is touched. On PostgreSQL the sale then goes to the server as one statement of
data-modifying WITH queries, in one round trip without BEGIN and COMMIT. On SQLite, where
one transaction writes at a time, five INSERTs built beforehand run in the transaction,
so the write lock is held only while they run and not while the ORM builds them.

The rows are those of the general path with two differences: the order is stored paid,
without the open state in between, and all rows carry one time. Each value is prepared by
its model field, as the ORM does it, so a new field or default reaches this path without
a change here. ``tests/test_paid_sale.py`` compares the rows of both paths.
"""

import logging
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import AuditLogEntry, Municipality, PointOfSale
from stadtkasse.core.services import next_kassenzeichen
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import PricedLine
from stadtkasse.orders.services import new_order_code, order_line
from stadtkasse.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState

logger = logging.getLogger(__name__)


@dataclass
class _Insert:
    """One INSERT: its name (the WITH name on PostgreSQL), SQL and parameters."""

    name: str
    sql: str
    params: list


def store_paid_sale(
    municipality: Municipality,
    lines: list[PricedLine],
    *,
    point_of_sale: PointOfSale,
    cashier,
    method: str,
    kassenzeichen: str | None,
    submit_token: str | None,
    email: str = "",
    tendered_cents: int | None = None,
) -> tuple[Order, Payment]:
    """Store a paid counter order with its lines, payment, event and audit entry.

    The caller has priced the lines and checked the amount given. On PostgreSQL it has
    also allocated the Kassenzeichen, outside any transaction, so that the municipality row
    is not locked while the sale is stored. On SQLite, with ``kassenzeichen=None``, it is
    allocated in the sale's transaction. A repeated ``submit_token`` raises
    ``IntegrityError`` and stores nothing, as the general path does.
    """
    now = timezone.now()
    total = sum(line.total_cents for line in lines)
    order = Order(
        municipality=municipality,
        code=new_order_code(),
        kassenzeichen=kassenzeichen,
        channel=Channel.COUNTER,
        point_of_sale=point_of_sale,
        email=email,
        cashier=cashier,
        state=OrderState.PAID,
        submit_token=submit_token,
        total_cents=total,
        created_at=now,
        paid_at=now,
    )
    cash = method == PaymentMethod.CASH
    payment = Payment(
        order=order,
        method=method,
        amount_cents=total,
        state=PaymentState.CONFIRMED,
        created_at=now,
        confirmed_at=now,
        tendered_cents=tendered_cents if cash else None,
        change_cents=tendered_cents - total if cash else None,
    )
    event = PaymentEvent(
        payment=payment,
        created_at=now,
        from_state=PaymentState.CREATED,
        to_state=PaymentState.CONFIRMED,
        cause=f"{method} at the counter",
        data={},
    )
    entry = AuditLogEntry(
        municipality=municipality,
        created_at=now,
        action=f"order.{OrderState.PAID}",
        user=cashier if getattr(cashier, "is_authenticated", False) else None,
        object_type=Order._meta.label_lower,
        data={"from": OrderState.OPEN, "cause": f"{method} payment"},
    )
    order_lines = [order_line(line) for line in lines]

    if connection.vendor == "postgresql":
        order.pk, payment.pk = _store_in_one_statement(order, order_lines, payment, event, entry)
    else:
        order.pk, payment.pk = _store_in_transaction(order, order_lines, payment, event, entry)

    for instance in (order, payment):
        instance._state.adding = False
        instance._state.db = connection.alias
    logger.info(
        "order created: order=%s channel=%s pos=%s lines=%d total_cents=%d",
        order.code,
        order.channel,
        point_of_sale.pk,
        len(lines),
        total,
    )
    logger.info(
        "order %s: %s -> %s (%s)", order.code, OrderState.OPEN, order.state, entry.data["cause"]
    )
    return order, payment


def _store_in_one_statement(order, order_lines, payment, event, entry) -> tuple[int, int]:
    """Insert the rows with one statement of data-modifying WITH queries (PostgreSQL)."""
    order_id = '(SELECT "id" FROM new_order)'
    inserts = [
        _insert("new_order", [order], returning=True),
        _insert("new_lines", order_lines, refs={"order_id": order_id}),
        _insert("new_payment", [payment], refs={"order_id": order_id}, returning=True),
        _insert("new_event", [event], refs={"payment_id": '(SELECT "id" FROM new_payment)'}),
        _insert("new_entry", [entry], refs={"object_id": f"{order_id}::text"}),
    ]
    sql = (
        "WITH "
        + ", ".join(f"{insert.name} AS ({insert.sql})" for insert in inserts)
        + f' SELECT {order_id}, (SELECT "id" FROM new_payment)'
    )
    params = [value for insert in inserts for value in insert.params]
    # Alone the statement is its own transaction. Inside a caller's transaction a
    # savepoint keeps that transaction usable after a repeated token.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _store_in_transaction(order, order_lines, payment, event, entry) -> tuple[int, int]:
    """Insert the rows with five prepared INSERTs in one transaction (SQLite).

    The Kassenzeichen and the keys of the order and the payment are known only inside the
    transaction, so their parameters are filled in there.
    """
    kassenzeichen, order_id, order_key, payment_id = _Later(), _Later(), _Later(), _Later()
    order_insert = _insert("order", [order], refs={"kassenzeichen": kassenzeichen})
    lines_insert = _insert("lines", order_lines, refs={"order_id": order_id})
    payment_insert = _insert("payment", [payment], refs={"order_id": order_id})
    event_insert = _insert("event", [event], refs={"payment_id": payment_id})
    entry_insert = _insert("entry", [entry], refs={"object_id": order_key})
    with transaction.atomic(), connection.cursor() as cursor:
        kassenzeichen.value = order.kassenzeichen = next_kassenzeichen(order.municipality)
        _execute(cursor, order_insert)
        order_id.value = cursor.lastrowid
        order_key.value = str(order_id.value)
        _execute(cursor, lines_insert)
        _execute(cursor, payment_insert)
        payment_id.value = cursor.lastrowid
        _execute(cursor, event_insert)
        _execute(cursor, entry_insert)
    return order_id.value, payment_id.value


class _Later:
    """A parameter whose value is known only inside the transaction."""

    value = None


def _execute(cursor, insert: _Insert) -> None:
    cursor.execute(insert.sql, [_filled(value) for value in insert.params])


def _filled(value):
    return value.value if isinstance(value, _Later) else value


def _insert(
    name: str,
    instances: list[models.Model],
    *,
    refs: dict[str, str] | None = None,
    returning: bool = False,
) -> _Insert:
    """Build the INSERT of ``instances`` with every column but the generated key.

    ``refs`` maps a column to SQL that takes its value from an earlier INSERT of the
    statement, such as the key of the new order, or to a ``_Later`` parameter.
    """
    refs = refs or {}
    meta = instances[0]._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
    params = []
    rows = []
    for instance in instances:
        values = []
        for field in fields:
            ref = refs.get(field.attname)
            if isinstance(ref, _Later):
                values.append("%s")
                params.append(ref)
            elif ref is not None:
                values.append(ref)
            else:
                values.append("%s")
                params.append(field.get_db_prep_save(_value(instance, field), connection))
        rows.append(f"({', '.join(values)})")
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join(rows)}"
    )
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return _Insert(name, sql, params)


def _value(instance: models.Model, field: models.Field):
    """Return the value to store, keeping a creation time that the caller has set."""
    if getattr(field, "auto_now_add", False):
        value = getattr(instance, field.attname)
        if value is not None:
            return value
    return field.pre_save(instance, add=True)
