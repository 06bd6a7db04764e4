"""Checkout of a portal cart into one order, and the start of its online payment."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from stadtkasse.orders.cart import checkout
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Cart, Order, OrderState
from stadtkasse.orders.services import transition
from stadtkasse.payments.models import (
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundKind,
    RefundState,
)
from stadtkasse.payments.providers import ProviderError, online_providers
from stadtkasse.payments.services import start_online_payment
from stadtkasse.portal.errors import PortalError

logger = logging.getLogger(__name__)

# Payment states of an attempt that has not ended yet.
OPEN_STATES = (PaymentState.CREATED, PaymentState.PENDING)


@dataclass
class Placement:
    """The outcome of a checkout request.

    ``redirect_url`` is the provider's page when this request started a payment. It is
    empty when the cart had become an order before (a second submit of the same form).
    """

    order: Order
    redirect_url: str = ""
    created: bool = False


def available_provider_ids() -> list[str]:
    return [provider.identifier for provider in online_providers()]


def check_provider(provider_id: str) -> str:
    """Return the provider id if the portal offers it; raise PortalError or SaleError if not."""
    if not available_provider_ids():
        raise PortalError("no_online_payment")
    if not provider_id:
        raise PortalError("no_payment_method")
    if provider_id not in available_provider_ids():
        raise SaleError("unknown_payment_method", method=provider_id)
    return provider_id


def place_order(
    cart: Cart, *, email: str, customer, provider_id: str, return_url: str, notify_url: str
) -> Placement:
    """Turn the cart into an order and start its payment; a cart gives one order only.

    The cart row is locked (on SQLite the IMMEDIATE transaction holds the write lock), so
    of two concurrent submits one creates the order and starts the payment, and the
    other finds the order and starts nothing.
    """
    check_provider(provider_id)

    with transaction.atomic():
        locked = Cart.objects.select_for_update().get(pk=cart.pk)
        if locked.order_id is not None:
            return Placement(order=Order.objects.get(pk=locked.order_id))
        order = checkout(locked, email=email, customer=customer)

    logger.info("portal checkout: cart=%s order=%s", cart.pk, order.code)
    url = start_payment(
        order, provider_id=provider_id, return_url=return_url, notify_url=notify_url
    )
    return Placement(order=order, redirect_url=url, created=True)


def start_payment(order: Order, *, provider_id: str, return_url: str, notify_url: str) -> str:
    """Start an online payment of a pending order; return the provider's address."""
    check_provider(provider_id)
    expire_if_overdue(order)
    if order.state == OrderState.EXPIRED:
        raise PortalError("order_expired", code=order.code)
    if order.state == OrderState.PENDING_PAYMENT and not can_pay(order):
        raise PortalError("order_debit_pending", code=order.code)
    try:
        _payment, url = start_online_payment(
            order, provider_id=provider_id, return_url=return_url, notify_url=notify_url
        )
    except ProviderError:
        logger.exception("payment start failed: order=%s provider=%s", order.code, provider_id)
        raise PortalError("payment_start_failed", code=order.code) from None
    return url


def expire_if_overdue(order: Order) -> None:
    """Expire a pending order whose payment time ran out, before anyone pays it."""
    if (
        order.state == OrderState.PENDING_PAYMENT
        and order.expires_at is not None
        and order.expires_at < timezone.now()
    ):
        with transaction.atomic():
            transition(order, OrderState.EXPIRED, cause="payment time ran out (portal)")


def can_pay(order: Order) -> bool:
    """Tell whether the citizen may start a payment of the order now.

    An order whose direct debit waits to be collected is not offered another payment,
    because the bank collects the amount anyway.
    """
    if order.state != OrderState.PENDING_PAYMENT:
        return False
    if order.expires_at is not None and order.expires_at < timezone.now():
        return False
    return not _open_payments(order).filter(method=PaymentMethod.SEPA_DEBIT).exists()


def awaits_transfer(order: Order) -> bool:
    """Tell whether the citizen chose to pay the pending order by bank transfer."""
    return (
        order.state == OrderState.PENDING_PAYMENT
        and _open_payments(order).filter(method=PaymentMethod.TRANSFER).exists()
    )


def providers_to_offer(*, transfer_pending: bool) -> list:
    """Return the providers the order page offers for paying a pending order now.

    ``transfer_pending`` is the result of ``awaits_transfer`` for the order. Such an order
    is offered online payment only, because choosing a transfer or a direct debit again
    would leave two bank payments waiting for one order.
    """
    providers = online_providers()
    if transfer_pending:
        providers = [p for p in providers if p.method == PaymentMethod.EPAY]
    return providers


def payments_to_show(order: Order) -> QuerySet[Payment]:
    """Return the payments the order page lists for the citizen.

    Once the order is paid, attempts that never finished (an online payment left on the
    provider's page, a transfer not made) are no longer shown, because they are moot.
    """
    payments = order.payments.exclude(provider="").order_by("created_at")
    if order.is_paid:
        payments = payments.exclude(state__in=OPEN_STATES, needs_clarification=False)
    return payments


@dataclass(frozen=True)
class Refunds:
    """The refunds of an order that the portal shows to the citizen."""

    items: list[Refund]
    # Paid in and refunded, in cents. Only refunds that are done count as refunded.
    paid_cents: int
    refunded_cents: int

    @property
    def in_full(self) -> bool:
        return self.paid_cents > 0 and self.refunded_cents >= self.paid_cents


def refunds_to_show(order: Order) -> Refunds:
    """Return the order's refunds that have not failed, oldest first, and the sums.

    Returned direct debits are left out: they reopen the order, which the page shows.
    """
    items = list(
        Refund.objects.filter(payment__order=order, kind=RefundKind.REFUND)
        .exclude(state=RefundState.FAILED)
        .order_by("created_at", "pk")
    )
    paid = order.payments.filter(state=PaymentState.CONFIRMED).aggregate(total=Sum("amount_cents"))[
        "total"
    ]
    refunded = sum(item.amount_cents for item in items if item.state == RefundState.DONE)
    return Refunds(items=items, paid_cents=paid or 0, refunded_cents=refunded)


def _open_payments(order: Order) -> QuerySet[Payment]:
    return order.payments.filter(state__in=OPEN_STATES)
