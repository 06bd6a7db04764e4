"""Order services: create orders from priced lines, move them through their states."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from stadtkasse.core.models import Municipality, PointOfSale
from stadtkasse.core.services import audit, next_kassenzeichen
from stadtkasse.orders.models import (
    ORDER_CORRECTIONS,
    ORDER_TRANSITIONS,
    Order,
    OrderLine,
    OrderState,
)
from stadtkasse.orders.pricing import PricedLine

logger = logging.getLogger(__name__)

# Order codes avoid letters and digits that are easily confused (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class TransitionError(Exception):
    """An order state change that the state machine does not allow."""


def new_order_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_order(
    municipality: Municipality,
    lines: list[PricedLine],
    *,
    channel: str,
    point_of_sale: PointOfSale | None = None,
    email: str = "",
    customer=None,
    cashier=None,
    state: str = OrderState.OPEN,
    submit_token: str | None = None,
    token_checked: bool = False,
    kassenzeichen: str | None = None,
    expires_at: datetime | None = None,
) -> Order:
    """Store an order with its lines and a new Kassenzeichen, all or nothing.

    A ``submit_token`` that was used before returns the order it created, so a request
    sent twice (double click, retry) makes one order. A caller that looked the token up
    itself passes ``token_checked=True`` and handles a racing twin by rolling back its own
    transaction; the order is then stored without a savepoint or a second lookup. A
    ``kassenzeichen`` allocated beforehand is used instead of a new one.
    """
    fields = {
        "channel": channel,
        "point_of_sale": point_of_sale,
        "email": email,
        "customer": customer,
        "cashier": cashier,
        "state": state,
        "submit_token": submit_token,
        "kassenzeichen": kassenzeichen,
        "expires_at": expires_at,
    }
    if token_checked:
        with transaction.atomic(savepoint=False):
            return _store_order(municipality, lines, **fields)

    if submit_token:
        existing = Order.objects.filter(submit_token=submit_token).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _store_order(municipality, lines, **fields)
    except IntegrityError:
        # Two requests with the same token raced; the other one stored the order.
        if submit_token:
            existing = Order.objects.filter(submit_token=submit_token).first()
            if existing is not None:
                return existing
        raise


def _store_order(
    municipality: Municipality, lines: list[PricedLine], *, customer, kassenzeichen, **fields
) -> Order:
    order = Order.objects.create(
        municipality=municipality,
        code=new_order_code(),
        kassenzeichen=kassenzeichen or next_kassenzeichen(municipality),
        customer=customer if getattr(customer, "is_authenticated", False) else None,
        total_cents=sum(line.total_cents for line in lines),
        **fields,
    )
    OrderLine.objects.bulk_create(order_line(line, order) for line in lines)
    logger.info(
        "order created: order=%s channel=%s pos=%s lines=%d total_cents=%d",
        order.code,
        fields["channel"],
        fields["point_of_sale"].pk if fields["point_of_sale"] else "-",
        len(lines),
        order.total_cents,
    )
    return order


def order_line(line: PricedLine, order: Order | None = None) -> OrderLine:
    """Return the unsaved order line of a priced line, with its product's booking targets."""
    product = line.product
    return OrderLine(
        order=order,
        product=product,
        variant=line.variant,
        operator_id=product.operator_id,
        description=line.description,
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        total_cents=line.total_cents,
        vat_treatment=product.vat_treatment,
        vat_rate=line.vat_rate,
        vat_cents=line.vat_cents,
        ledger_account=product.ledger_account,
        budget_product=product.budget_product,
        cost_center=product.cost_center,
        answers=line.answers,
    )


def transition(
    order: Order, new_state: str, *, cause: str, user=None, correction: bool = False
) -> bool:
    """Move an order to a new state if it still is in the state the caller read.

    The update is conditional on the old state, so of two concurrent callers only one
    wins; the loser gets False and the order is reloaded. ``correction=True`` also allows
    the steps of ORDER_CORRECTIONS; only the payment services pass it.
    """
    old_state = order.state
    allowed = ORDER_TRANSITIONS[OrderState(old_state)]
    if correction:
        allowed = allowed | ORDER_CORRECTIONS.get(OrderState(old_state), set())
    if new_state not in allowed:
        raise TransitionError(f"order {order.code}: {old_state} -> {new_state} is not allowed")

    now = timezone.now()
    changes = {"state": new_state}
    if new_state == OrderState.PAID:
        changes["paid_at"] = now
    elif new_state in (OrderState.CANCELED, OrderState.EXPIRED):
        changes["canceled_at"] = now
    updated = Order.objects.filter(pk=order.pk, state=old_state).update(**changes)
    if not updated:
        order.refresh_from_db()
        return False

    for name, value in changes.items():
        setattr(order, name, value)
    audit(
        f"order.{new_state}",
        order,
        municipality=order.municipality,
        user=user,
        data={"from": old_state, "cause": cause, **({"correction": True} if correction else {})},
    )
    logger.info("order %s: %s -> %s (%s)", order.code, old_state, new_state, cause)
    return True


def payment_deadline() -> datetime:
    return timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES)


def expire_overdue_orders(now: datetime | None = None) -> int:
    """Expire portal orders whose payment time ran out; return how many."""
    now = now or timezone.now()
    count = 0
    overdue = Order.objects.filter(
        state=OrderState.PENDING_PAYMENT, expires_at__lt=now
    ).select_related("municipality")
    for order in overdue.iterator():
        with transaction.atomic():
            if transition(order, OrderState.EXPIRED, cause="payment time ran out"):
                count += 1
    return count


@dataclass
class VatTotal:
    vat_treatment: str
    vat_rate: int
    gross_cents: int
    vat_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.vat_cents


def vat_totals(lines) -> list[VatTotal]:
    """Sum gross and VAT per VAT treatment; each line was rounded once already."""
    totals: dict[str, VatTotal] = {}
    for line in lines:
        total = totals.setdefault(
            line.vat_treatment, VatTotal(line.vat_treatment, line.vat_rate, 0, 0)
        )
        total.gross_cents += line.total_cents
        total.vat_cents += line.vat_cents
    return sorted(totals.values(), key=lambda t: (-t.vat_rate, t.vat_treatment))
