"""The portal cart and its checkout into one order."""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from stadtkasse.core.channels import Channel
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Cart, CartItem, Order, OrderState
from stadtkasse.orders.pricing import MAX_LINES, MAX_QUANTITY, LineRequest, PricedLine, price_lines
from stadtkasse.orders.services import create_order, payment_deadline

logger = logging.getLogger(__name__)


def add_item(cart: Cart, request: LineRequest) -> CartItem:
    """Check a product request against the catalog and put it into the cart."""
    if cart.order_id is not None:
        raise SaleError(
            "order_not_payable", code=cart.order.code, state=cart.order.get_state_display()
        )
    (line,) = price_lines(cart.municipality, [request], channel=Channel.PORTAL)
    items = list(cart.items.all())
    if len(items) >= MAX_LINES:
        raise SaleError("too_many_lines", maximum=MAX_LINES)

    # The same product and price without application data adds up on one line.
    for item in items:
        if item.variant_id == line.variant.pk and not item.answers and not line.answers:
            new_quantity = item.quantity + line.quantity
            if new_quantity > MAX_QUANTITY:
                raise SaleError(
                    "invalid_quantity",
                    quantity=new_quantity,
                    product=line.product.name,
                    maximum=MAX_QUANTITY,
                )
            item.quantity = new_quantity
            item.save(update_fields=["quantity"])
            return item
    return CartItem.objects.create(
        cart=cart,
        product=line.product,
        variant=line.variant,
        quantity=line.quantity,
        answers={key: entry["value"] for key, entry in line.answers.items()},
    )


def set_quantity(cart: Cart, item_id: object, quantity: object) -> None:
    """Change the quantity of a cart line; zero removes it."""
    item = cart.items.select_related("product").filter(pk=_int_or_none(item_id)).first()
    if item is None:
        return
    value = _int_or_none(quantity)
    if value == 0:
        item.delete()
        return
    if value is None or not 1 <= value <= MAX_QUANTITY:
        raise SaleError(
            "invalid_quantity", quantity=quantity, product=item.product.name, maximum=MAX_QUANTITY
        )
    item.quantity = value
    item.save(update_fields=["quantity"])


def remove_item(cart: Cart, item_id: object) -> None:
    cart.items.filter(pk=_int_or_none(item_id)).delete()


def priced_cart(cart: Cart) -> list[PricedLine]:
    """Price the cart from the catalog as it is now; an empty cart gives an empty list."""
    items = list(cart.items.all())
    if not items:
        return []
    requests = [
        LineRequest(item.product_id, item.variant_id, item.quantity, item.answers) for item in items
    ]
    return price_lines(cart.municipality, requests, channel=Channel.PORTAL, empty_code="empty_cart")


def checkout(cart: Cart, *, email: str, customer=None) -> Order:
    """Turn the cart into an order waiting for payment; the same cart gives the same order."""
    if cart.order_id is not None:
        return cart.order

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SaleError("invalid_email", email=email) from None
    lines = priced_cart(cart)
    if not lines:
        raise SaleError("empty_cart")

    with transaction.atomic():
        order = create_order(
            cart.municipality,
            lines,
            channel=Channel.PORTAL,
            email=email,
            customer=customer,
            state=OrderState.PENDING_PAYMENT,
            submit_token=f"cart:{cart.token}",
            expires_at=payment_deadline(),
        )
        Cart.objects.filter(pk=cart.pk, order__isnull=True).update(order=order)
    cart.order = order
    return order


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
