"""Confirm many bank credits at once: the fast path of a bank statement import.

A credit takes the fast path when it pays the whole total of a payable order that has no
counted payment yet and at most one pending transfer. Such a credit settles its order
with the same records as ``apply_provider_result`` (payment, payment event, audit log
entries, order paid), written with a few queries per batch. Every other credit (partial,
over, late, a second credit for one order) is left to the caller, which sends it through
``apply_provider_result`` one by one, where the clarification rules live.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState, Refund

logger = logging.getLogger(__name__)

PAYABLE_STATES = (OrderState.OPEN, OrderState.PENDING_PAYMENT)


@dataclass
class Credit:
    """A credited amount for one order, as a bank statement line reports it."""

    key: object
    order_id: int
    amount_cents: int
    provider_reference: str = ""
    data: dict = field(default_factory=dict)


def confirm_credits(credits: list[Credit], *, provider: str, cause: str) -> dict[object, Payment]:
    """Confirm the credits that pay their order exactly, and return their payments by key.

    Credits missing from the result were not touched. Call it inside the caller's
    transaction or alone. The order rows are locked in ascending order of their ids.
    """
    if not credits:
        return {}
    with transaction.atomic():
        order_ids = sorted({credit.order_id for credit in credits})
        orders = {
            order.pk: order
            for order in Order.objects.select_for_update()
            .filter(pk__in=order_ids)
            .only("pk", "state", "total_cents", "municipality_id", "code")
        }
        live = defaultdict(list)
        for payment in Payment.objects.filter(order_id__in=order_ids).exclude(
            state__in=(PaymentState.FAILED, PaymentState.CANCELED)
        ):
            live[payment.order_id].append(payment)
        refunded = set(
            Refund.objects.filter(payment__order_id__in=order_ids).values_list(
                "payment__order_id", flat=True
            )
        )

        fast_path: list[tuple[Credit, Order, Payment | None]] = []
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
            fast_path.append((credit, order, pending))
        if not fast_path:
            return {}

        now = timezone.now()
        result: dict[object, Payment] = {}
        new_payments, updated_payments, from_states = [], [], []
        for credit, order, pending in fast_path:
            payment = pending or Payment(
                order_id=order.pk,
                method=PaymentMethod.TRANSFER,
                provider=provider,
                amount_cents=credit.amount_cents,
            )
            from_states.append(payment.state if pending else PaymentState.CREATED)
            payment.state = PaymentState.CONFIRMED
            payment.confirmed_at = now
            payment.amount_cents = credit.amount_cents
            if credit.provider_reference:
                payment.provider_reference = credit.provider_reference[:100]
            (updated_payments if pending else new_payments).append(payment)
            result[credit.key] = payment
        Payment.objects.bulk_create(new_payments)
        Payment.objects.bulk_update(
            updated_payments, ["state", "confirmed_at", "amount_cents", "provider_reference"]
        )

        PaymentEvent.objects.bulk_create(
            PaymentEvent(
                payment=result[credit.key],
                from_state=from_state,
                to_state=PaymentState.CONFIRMED,
                cause=cause,
                data=credit.data,
            )
            for (credit, _order, _pending), from_state in zip(fast_path, from_states, strict=True)
        )
        paid_ids = [order.pk for _credit, order, _pending in fast_path]
        updated = Order.objects.filter(pk__in=paid_ids, state__in=PAYABLE_STATES).update(
            state=OrderState.PAID, paid_at=now
        )
        if updated != len(paid_ids):
            # The rows are locked, so this means a bug; roll the whole batch back.
            raise RuntimeError(f"{len(paid_ids)} orders to mark paid, {updated} updated")

        AuditLogEntry.objects.bulk_create(
            entry
            for credit, order, _pending in fast_path
            for entry in (
                AuditLogEntry(
                    municipality_id=order.municipality_id,
                    action="payment.confirmed",
                    object_type=Payment._meta.label_lower,
                    object_id=str(result[credit.key].pk),
                ),
                AuditLogEntry(
                    municipality_id=order.municipality_id,
                    action="order.paid",
                    object_type=Order._meta.label_lower,
                    object_id=str(order.pk),
                    data={"from": order.state, "cause": cause},
                ),
            )
        )
    logger.info("bank credits confirmed in bulk: payments=%d (%s)", len(result), cause)
    return result


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
