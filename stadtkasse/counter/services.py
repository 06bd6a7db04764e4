"""Counter sales: one order and its payment, stored together or not at all."""

import logging

from django.db import transaction

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import PointOfSale
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order
from stadtkasse.payments.models import PaymentMethod
from stadtkasse.payments.services import record_cash_payment, record_external_card_payment

logger = logging.getLogger(__name__)


def may_sell(user, point_of_sale: PointOfSale) -> bool:
    """Tell whether a staff user may sell at a point of sale."""
    if not user.is_authenticated or not user.has_perm("orders.sell_at_counter"):
        return False
    return user.is_superuser or point_of_sale.cashiers.filter(pk=user.pk).exists()


def sell(
    point_of_sale: PointOfSale,
    cashier,
    requests: list[LineRequest],
    *,
    method: str,
    tendered_cents: int | None = None,
    email: str = "",
    submit_token: str | None = None,
) -> Order:
    """Sell at the counter: price the lines, store the order, take the payment.

    A repeated ``submit_token`` (double tap, reload) returns the sale stored the first time.
    """
    if not may_sell(cashier, point_of_sale):
        raise SaleError("not_cashier", point_of_sale=point_of_sale)
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD_EXTERNAL):
        raise SaleError("unknown_payment_method", method=method)
    if submit_token:
        existing = Order.objects.filter(submit_token=submit_token).first()
        if existing is not None:
            return existing

    lines = price_lines(
        point_of_sale.municipality, requests, channel=Channel.COUNTER,
        point_of_sale=point_of_sale,
    )
    total = sum(line.total_cents for line in lines)
    if method == PaymentMethod.CASH and tendered_cents is None:
        tendered_cents = total

    with transaction.atomic():
        order = create_order(
            point_of_sale.municipality, lines, channel=Channel.COUNTER,
            point_of_sale=point_of_sale, cashier=cashier, email=email,
            state=OrderState.OPEN, submit_token=submit_token,
        )
        if order.state == OrderState.PAID:
            return order
        if method == PaymentMethod.CASH:
            record_cash_payment(order, tendered_cents=tendered_cents, cashier=cashier)
        else:
            record_external_card_payment(order, cashier=cashier)
    return order
