"""Confirm many bank credits at once: the fast path of a bank statement import.

A credit takes the fast path when it pays the whole total of a payable order that has no
counted payment yet and at most one pending transfer. Such a credit settles its order
with the same records as ``apply_provider_result`` (payment, payment event, the audit
entry of the paid order), written with a few queries per batch. Every other credit (partial,
over, late, a second credit for one order) is left to the caller, which sends it through
``apply_provider_result`` one by one, where the clarification rules live.

The rows are written by ``insert_rows`` from prepared values, without model instances:
for thousands of rows, ``bulk_create`` spends most of its time preparing every value of
every instance through its field. All rows of one confirmation carry the same time (the
payment's creation and confirmation, its event, the audit entry, the order's payment),
as a database default would give them.
"""

import json
import logging
import os
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState, Refund

logger = logging.getLogger(__name__)

PAYABLE_STATES = (OrderState.OPEN, OrderState.PENDING_PAYMENT)
# PostgreSQL's limit of parameters per statement, where Django sets none.
MAX_QUERY_PARAMS = 2**16 - 1

PAYMENT_FIELDS = (
    "order_id",
    "method",
    "provider",
    "state",
    "amount_cents",
    "reference",
    "provider_reference",
    "created_at",
    "confirmed_at",
    "needs_clarification",
    "clarification_reason",
    "clarification_outcome",
)
EVENT_FIELDS = ("payment_id", "created_at", "from_state", "to_state", "cause", "data")
AUDIT_FIELDS = ("municipality_id", "created_at", "action", "object_type", "object_id", "data")


@dataclass
class Credit:
    """A credited amount for one order, as a bank statement line reports it."""

    key: object
    order_id: int
    amount_cents: int
    provider_reference: str = ""
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LockedOrder:
    """The fields of a locked order that the fast path reads."""

    pk: int
    state: str
    total_cents: int
    municipality_id: int


@dataclass(frozen=True)
class Selected:
    """A credit that takes the fast path, with its locked order and pending transfer."""

    credit: Credit
    order: LockedOrder
    pending: Payment | None


def confirm_credits(credits: list[Credit], *, provider: str, cause: str) -> dict[object, int]:
    """Confirm the credits that pay their order exactly, and return their payment ids by key.

    Credits missing from the result were not touched. Call it inside the caller's
    transaction or alone.
    """
    with transaction.atomic():
        return confirm_selected(select_credits(credits), provider=provider, cause=cause)


def select_credits(credits: list[Credit]) -> list[Selected]:
    """Lock the orders of the credits and return the credits that take the fast path.

    The order rows are locked in ascending order of their ids, until the caller's
    transaction ends, so call this inside one. Until ``confirm_selected`` the caller may
    still change the ``data`` of the selected credits.
    """
    if not credits:
        return []
    order_ids = sorted({credit.order_id for credit in credits})
    live_payments = Payment.objects.filter(order=OuterRef("pk")).exclude(
        state__in=(PaymentState.FAILED, PaymentState.CANCELED)
    )
    orders, with_payments, refunded = {}, [], set()
    for pk, state, total_cents, municipality_id, has_payments, has_refunds in (
        Order.objects.select_for_update()
        .filter(pk__any_of=order_ids)
        .order_by("pk")
        .annotate(
            has_payments=Exists(live_payments),
            has_refunds=Exists(Refund.objects.filter(payment__order=OuterRef("pk"))),
        )
        .values_list("pk", "state", "total_cents", "municipality_id", "has_payments", "has_refunds")
    ):
        orders[pk] = LockedOrder(pk, state, total_cents, municipality_id)
        if has_payments:
            with_payments.append(pk)
        if has_refunds:
            refunded.add(pk)
    # Most orders of a bank statement have no payment yet, so this query is mostly skipped.
    live = defaultdict(list)
    if with_payments:
        for payment in Payment.objects.filter(order_id__in=with_payments).exclude(
            state__in=(PaymentState.FAILED, PaymentState.CANCELED)
        ):
            live[payment.order_id].append(payment)

    selected = []
    used_orders = set()
    for credit in credits:
        order = orders.get(credit.order_id)
        pending = _single_pending_transfer(live[credit.order_id])
        if (
            order is None
            or order.pk in used_orders
            or order.pk in refunded
            or order.state not in PAYABLE_STATES
            or credit.amount_cents != order.total_cents
            or pending is False
        ):
            continue
        used_orders.add(order.pk)
        selected.append(Selected(credit, order, pending))
    return selected


def confirm_selected(selected: list[Selected], *, provider: str, cause: str) -> dict[object, int]:
    """Confirm the credits that ``select_credits`` returned and return payment ids by key.

    Call it in the transaction that holds the locks of ``select_credits``.
    """
    if not selected:
        return {}
    values = DbValues()
    now = timezone.now()
    confirmed_at = values.datetime(now)
    payment_ids = _write_payments(selected, provider=provider, confirmed_at=confirmed_at)
    insert_rows(
        PaymentEvent,
        EVENT_FIELDS,
        [
            (
                payment_ids[choice.credit.key],
                confirmed_at,
                choice.pending.state if choice.pending else PaymentState.CREATED,
                PaymentState.CONFIRMED,
                cause,
                values.json(choice.credit.data),
            )
            for choice in selected
        ],
    )

    paid_ids = [choice.order.pk for choice in selected]
    updated = Order.objects.filter(pk__any_of=paid_ids, state__in=PAYABLE_STATES).update(
        state=OrderState.PAID, paid_at=now
    )
    if updated != len(paid_ids):
        # The rows are locked, so this means a bug. Raising rolls back the caller's
        # transaction with everything written here.
        raise RuntimeError(f"{len(paid_ids)} orders to mark paid, {updated} updated")

    _write_audit_entries(selected, cause=cause, created_at=confirmed_at)
    logger.info("bank credits confirmed in bulk: payments=%d (%s)", len(payment_ids), cause)
    return payment_ids


def _write_payments(selected: list[Selected], *, provider: str, confirmed_at) -> dict[object, int]:
    """Insert the new payments and confirm the pending ones. Return payment ids by key."""
    values = DbValues()
    new_keys, new_rows, updates = [], [], []
    payment_ids: dict[object, int] = {}
    references = iter(new_uuids(len(selected)))
    for choice in selected:
        credit, pending = choice.credit, choice.pending
        reference = credit.provider_reference[:100]
        if pending is not None:
            payment_ids[credit.key] = pending.pk
            updates.append(
                (
                    PaymentState.CONFIRMED,
                    confirmed_at,
                    credit.amount_cents,
                    reference or pending.provider_reference,
                    pending.pk,
                )
            )
            continue
        new_keys.append(credit.key)
        new_rows.append(
            (
                choice.order.pk,
                PaymentMethod.TRANSFER,
                provider,
                PaymentState.CONFIRMED,
                credit.amount_cents,
                values.uuid(next(references)),
                reference,
                confirmed_at,
                confirmed_at,
                False,
                "",
                "",
            )
        )
    ids = insert_rows(Payment, PAYMENT_FIELDS, new_rows, return_ids=True)
    payment_ids.update(zip(new_keys, ids, strict=True))
    table = connection.ops.quote_name(Payment._meta.db_table)
    execute_many(
        f"UPDATE {table} SET state = %s, confirmed_at = %s, amount_cents = %s, "
        "provider_reference = %s WHERE id = %s",
        updates,
    )
    return payment_ids


def _write_audit_entries(selected: list[Selected], *, cause: str, created_at) -> None:
    """Write the audit entries that ``apply_provider_result`` writes: one per paid order.

    The payment's confirmation is recorded by its event, as on the single path.
    """
    values = DbValues()
    order_type = Order._meta.label_lower
    # Most orders come from the same state, so most entries share their data.
    paid_data = {}
    rows = []
    for choice in selected:
        order = choice.order
        if order.state not in paid_data:
            paid_data[order.state] = values.json({"from": order.state, "cause": cause})
        rows.append(
            (
                order.municipality_id,
                created_at,
                "order.paid",
                order_type,
                str(order.pk),
                paid_data[order.state],
            )
        )
    insert_rows(AuditLogEntry, AUDIT_FIELDS, rows)


def _single_pending_transfer(payments: list[Payment]) -> Payment | None | bool:
    """Return the order's one pending transfer, None if it has no live payment, else False.

    False means the order needs the single path: it has a confirmed payment, several
    pending ones, or a pending payment of another method.
    """
    if not payments:
        return None
    if (
        len(payments) == 1
        and payments[0].state == PaymentState.PENDING
        and payments[0].method == PaymentMethod.TRANSFER
        and not payments[0].needs_clarification
    ):
        return payments[0]
    return False


# -- writing prepared rows ----------------------------------------------------------------


class DbValues:
    """Convert values for the default database as Django's fields would, for ``insert_rows``.

    The conversions are looked up once, because reaching them through the connection
    proxy for every value costs more than the conversion itself.
    """

    def __init__(self):
        ops = connection.ops
        self.datetime = ops.adapt_datetimefield_value
        self.date = ops.adapt_datefield_value

    @staticmethod
    def json(value) -> str:
        """Return the JSON text of a value, as a JSONField without an encoder stores it.

        Both databases take JSON as text, PostgreSQL's jsonb included. Text made once can
        stand in many rows, where the driver would encode an adapted value for every row.
        """
        return json.dumps(value)

    @staticmethod
    def uuid(value: uuid.UUID) -> str:
        """Return a UUID as 32 hex digits, which both databases take for a UUIDField."""
        return value.hex


def new_uuids(count: int) -> list[uuid.UUID]:
    """Return ``count`` random UUIDs (version 4), as ``uuid.uuid4()`` makes them.

    The random bytes are read from the system in one call instead of one per UUID.
    """
    data = os.urandom(16 * count)
    return [uuid.UUID(bytes=data[i : i + 16], version=4) for i in range(0, len(data), 16)]


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    return_ids: bool = False,
) -> list[int]:
    """Insert rows into the model's table and return their ids in row order if asked.

    ``fields`` are attribute names (``order_id`` for a foreign key). Every row contains their
    values as the database takes them: dates, times, JSON and UUIDs converted with
    ``DbValues``, the rest as plain Python values. Fields left out get NULL, not the
    model's default. No signals are sent, as with ``bulk_create``.

    On PostgreSQL the rows go in by COPY; with ``return_ids`` their ids are taken from the
    table's sequence beforehand. Elsewhere ``return_ids`` uses multi-row INSERT
    statements, and like ``bulk_create`` relies on RETURNING giving the ids in row order.
    """
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    insert = f"INSERT INTO {table} ({columns}) VALUES "
    returning = f" RETURNING {quote(meta.pk.column)}"

    with _driver_cursor() as (cursor, style):
        if style == NUMBERED:
            # COPY costs PostgreSQL less per row than INSERT, and psycopg writes it in C.
            # Ids to return are taken from the table's sequence first, because a multi-row
            # INSERT … RETURNING of thousands of rows cost far more (with COPY a
            # 100,000-line bank import went from about 30 to 24 s).
            ids = _next_ids(cursor, meta, len(rows)) if return_ids else []
            if ids:
                columns = f"{quote(meta.pk.column)}, {columns}"
                rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return ids

        single_row = insert + _placeholders(style, len(fields))
        if not return_ids:
            cursor.executemany(single_row, rows)
            return []
        if not connection.features.can_return_rows_from_bulk_insert:
            # SQLite before 3.35 has no RETURNING, so each new id is read after its insert.
            ids = []
            for row in rows:
                cursor.execute(single_row, row)
                ids.append(connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column))
            return ids

        chunk_size = max(1, _max_query_params() // len(fields))
        ids = []
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start : start + chunk_size]
            if style == NUMBERED:
                groups = [
                    _placeholders(style, len(fields), first=index * len(fields) + 1)
                    for index in range(len(chunk))
                ]
            else:
                groups = [_placeholders(style, len(fields))] * len(chunk)
            sql = insert + ", ".join(groups) + returning
            cursor.execute(sql, [value for row in chunk for value in row])
            ids.extend(row[0] for row in cursor.fetchall())
        return ids


def _next_ids(cursor, meta, count: int) -> list[int]:
    """Take ``count`` new ids from the sequence of a PostgreSQL table's primary key.

    The sequence is looked up first, because PostgreSQL would call
    ``pg_get_serial_sequence`` again for every id (15 instead of 2.5 ms for 5,000 ids).
    """
    cursor.execute("SELECT pg_get_serial_sequence($1, $2)", (meta.db_table, meta.pk.column))
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval($1::regclass) FROM generate_series(1, $2)", (sequence, count))
    return [row[0] for row in cursor.fetchall()]


def execute_many(sql: str, rows: Iterable[Sequence]) -> None:
    """Run one statement with %s placeholders once per row of values."""
    rows = list(rows)
    if not rows:
        return
    with _driver_cursor() as (cursor, style):
        first, *rest = sql.split("%s")
        converted = first + "".join(
            _placeholder(style, number) + part for number, part in enumerate(rest, start=1)
        )
        cursor.executemany(converted, rows)


# Placeholder styles: PostgreSQL's numbered ($1), SQLite's (?) and Django's (%s).
NUMBERED, QMARK, FORMAT = "$", "?", "%s"


def _placeholder(style: str, number: int) -> str:
    return f"${number}" if style == NUMBERED else style


def _placeholders(style: str, count: int, *, first: int = 1) -> str:
    """Return "(p1, p2, ...)" with ``count`` placeholders, numbered from ``first``."""
    return f"({', '.join(_placeholder(style, n) for n in range(first, first + count))})"


@contextmanager
def _driver_cursor():
    """Yield a cursor of the database driver itself, with its placeholder style.

    Django's cursors convert the SQL text on every call (SQLite: %s to ?). Its psycopg 3
    backend also binds values on the client unless the database option
    ``server_side_binding`` is set, so psycopg quotes every value into the SQL text in
    Python. For thousands of rows either takes longer than the insert itself.
    Statements of the driver's cursor bypass Django's query log and execute wrappers.
    """
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        cursor, style = raw.cursor(), QMARK
    elif _uses_psycopg3():
        import psycopg

        cursor, style = psycopg.RawCursor(raw), NUMBERED
    else:
        with connection.cursor() as cursor:
            yield cursor, FORMAT
        return
    try:
        with connection.wrap_database_errors:
            yield cursor, style
    finally:
        cursor.close()


def _max_query_params() -> int:
    """Return how many parameters one statement may have on this database."""
    if connection.vendor == "sqlite":
        # Django assumes 999, the limit of SQLite before 3.32. The library reports its own.
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or MAX_QUERY_PARAMS


def _uses_psycopg3() -> bool:
    if connection.vendor != "postgresql":
        return False
    # Imported here, because the module needs a PostgreSQL driver installed.
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3
