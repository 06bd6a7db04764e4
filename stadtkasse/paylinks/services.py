"""Payment links: create, cancel, expire, and report the state of a link for the till.

A link belongs to one order in state ``pending_payment`` whose ``expires_at`` is the
link's expiry. The order is paid through the portal like any online order. The link
follows its order, so it is paid when the order is paid and expires with it.

Locking rule: a change of a link locks the order row first, then the link row, the same
order as the payment services (payment, then order), so neither can deadlock the other.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.db import IntegrityError, transaction
from django.utils import timezone

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import PointOfSale
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order, transition
from stadtkasse.paylinks.errors import PaylinkError
from stadtkasse.paylinks.models import LinkState, PaymentLink

logger = logging.getLogger(__name__)

DEFAULT_MINUTES = 15
MIN_MINUTES = 1
# A fee may wait for its payment one day; a sale at the counter usually needs minutes.
MAX_MINUTES = 24 * 60
# 32 random bytes, 43 URL-safe characters: 256 bits, far more than can be guessed.
TOKEN_BYTES = 32


@dataclass
class LinkStatus:
    """The state of a link as the till shows it while it waits for the payment."""

    state: str
    seconds_left: int
    expires_at: datetime
    order_code: str
    kassenzeichen: str
    total_cents: int


def link_key(point_of_sale: PointOfSale, cashier, client_token: str) -> str:
    """Return the idempotency key of a link request; it never equals a key of a sale."""
    return f"link:{point_of_sale.pk}:{cashier.pk}:{client_token}"


def validity_minutes(minutes: object) -> int:
    """Return the link's validity in minutes, the default for None; raise PaylinkError."""
    if minutes is None or minutes == "":
        return DEFAULT_MINUTES
    if isinstance(minutes, bool) or not isinstance(minutes, int | str):
        raise PaylinkError(
            "invalid_validity", minutes=minutes, minimum=MIN_MINUTES, maximum=MAX_MINUTES
        )
    text = str(minutes).strip()
    if not text.isdigit() or not MIN_MINUTES <= int(text) <= MAX_MINUTES:
        raise PaylinkError(
            "invalid_validity", minutes=text[:12], minimum=MIN_MINUTES, maximum=MAX_MINUTES
        )
    return int(text)


def create_link(
    point_of_sale: PointOfSale,
    cashier,
    requests: list[LineRequest] | None = None,
    *,
    order: Order | None = None,
    client_token: str | None = None,
    minutes: object = None,
) -> tuple[PaymentLink, bool]:
    """Create a payment link for new lines or for an open order; return it and whether it is new.

    New lines are priced from the catalog for this counter, as a cash sale would be, and
    become an order of channel counter, stamped with the point of sale and the cashier.
    A repeated ``client_token`` returns the link made the first time. Raises SaleError
    or PaylinkError, and then nothing is stored. The caller checks that the cashier may
    sell at the point of sale (``stadtkasse.counter.services.may_sell``).
    """
    validity = validity_minutes(minutes)
    key = link_key(point_of_sale, cashier, client_token) if client_token else None
    if key:
        existing = _link_of_key(key)
        if existing is not None:
            return existing, False

    if order is None:
        lines = price_lines(
            point_of_sale.municipality,
            requests or [],
            channel=Channel.COUNTER,
            point_of_sale=point_of_sale,
        )
    elif order.municipality_id != point_of_sale.operator.municipality_id:
        raise PaylinkError("order_elsewhere", code=order.code)

    expires_at = timezone.now() + timedelta(minutes=validity)
    try:
        with transaction.atomic():
            if order is None:
                link_order = create_order(
                    point_of_sale.municipality,
                    lines,
                    channel=Channel.COUNTER,
                    point_of_sale=point_of_sale,
                    cashier=cashier,
                    state=OrderState.PENDING_PAYMENT,
                    expires_at=expires_at,
                )
            else:
                link_order = _reserve_open_order(order, expires_at, cashier)
            link = PaymentLink.objects.create(
                order=link_order,
                point_of_sale=point_of_sale,
                token=secrets.token_urlsafe(TOKEN_BYTES),
                request_key=key,
                created_order=order is None,
                created_by=cashier,
                expires_at=expires_at,
            )
            audit(
                "paylink.created",
                link,
                municipality=link_order.municipality,
                user=cashier,
                data={
                    "order": link_order.code,
                    "expires_at": expires_at.isoformat(),
                    "minutes": validity,
                },
            )
    except IntegrityError:
        # Two requests with the same token raced; the other one stored the link.
        existing = _link_of_key(key) if key else None
        if existing is None:
            raise
        return existing, False

    logger.info(
        "payment link created: link=%s order=%s pos=%s minutes=%d",
        link.pk,
        link_order.code,
        point_of_sale.pk,
        validity,
    )
    return link, True


def _link_of_key(key: str) -> PaymentLink | None:
    return PaymentLink.objects.select_related("order").filter(request_key=key).first()


def _reserve_open_order(order: Order, expires_at: datetime, cashier) -> Order:
    """Move an open order to pending payment until the link expires."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.state != OrderState.OPEN:
        raise PaylinkError("order_not_open", code=locked.code, state=locked.get_state_display())
    if not transition(locked, OrderState.PENDING_PAYMENT, cause="payment link", user=cashier):
        raise PaylinkError("order_not_open", code=locked.code, state=locked.get_state_display())
    Order.objects.filter(pk=locked.pk).update(expires_at=expires_at)
    locked.expires_at = expires_at
    return locked


def cancel_link(link: PaymentLink, *, user) -> PaymentLink:
    """Withdraw an active link; its order is canceled, or opened again if it existed before.

    Canceling a link that is expired or canceled already changes nothing. Raises
    PaylinkError when the order was paid, because a paid sale is not undone here.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=link.order_id)
        link = PaymentLink.objects.select_for_update().select_related("order").get(pk=link.pk)
        link.order = order
        _follow_order(link)
        if link.state == LinkState.PAID:
            raise PaylinkError("link_paid", code=order.code)
        if link.state != LinkState.ACTIVE:
            return link

        if order.state == OrderState.PENDING_PAYMENT:
            if link.created_order:
                transition(order, OrderState.CANCELED, cause="payment link canceled", user=user)
            else:
                transition(order, OrderState.OPEN, cause="payment link canceled", user=user)
                Order.objects.filter(pk=order.pk).update(expires_at=None)
        link.state = LinkState.CANCELED
        link.canceled_at = timezone.now()
        link.canceled_by = user
        link.save(update_fields=["state", "canceled_at", "canceled_by"])
        audit(
            "paylink.canceled",
            link,
            municipality=order.municipality,
            user=user,
            data={"order": order.code},
        )
    logger.info("payment link canceled: link=%s order=%s", link.pk, order.code)
    return link


def refresh_link(link: PaymentLink, now: datetime | None = None) -> PaymentLink:
    """Bring an active link up to date: paid with its order, or expired when its time ran out.

    An overdue link expires its order too, so that a payment arriving later is flagged
    for clarification instead of paying an order the till no longer shows.
    """
    now = now or timezone.now()
    if link.state != LinkState.ACTIVE:
        return link
    if link.order.state == OrderState.PENDING_PAYMENT and link.expires_at >= now:
        return link

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=link.order_id)
        link = PaymentLink.objects.select_for_update().get(pk=link.pk)
        link.order = order
        if link.state == LinkState.ACTIVE and link.expires_at < now:
            if order.state == OrderState.PENDING_PAYMENT:
                transition(order, OrderState.EXPIRED, cause="payment link expired")
        _follow_order(link)
    return link


def _follow_order(link: PaymentLink) -> None:
    """Store the state of an active link that its order decides; the caller holds the locks."""
    if link.state != LinkState.ACTIVE:
        return
    order = link.order
    if order.state == OrderState.PAID:
        new_state = LinkState.PAID
    elif order.state == OrderState.EXPIRED:
        new_state = LinkState.EXPIRED
    elif order.state in (OrderState.CANCELED, OrderState.OPEN):
        # Canceled or reopened by someone else (the treasury, another link service).
        new_state = LinkState.CANCELED
    else:
        return

    link.state = new_state
    changed = ["state"]
    if new_state == LinkState.PAID:
        link.paid_at = order.paid_at or timezone.now()
        changed.append("paid_at")
    link.save(update_fields=changed)
    audit(
        f"paylink.{new_state}",
        link,
        municipality=order.municipality,
        data={"order": order.code, "order_state": order.state},
    )
    logger.info("payment link %s: %s (order %s)", new_state, link.pk, order.code)


def expire_stale_links(now: datetime | None = None) -> int:
    """Expire the active links whose time ran out, with their orders; return how many."""
    now = now or timezone.now()
    count = 0
    stale = PaymentLink.objects.filter(state=LinkState.ACTIVE, expires_at__lt=now).select_related(
        "order"
    )
    for link in stale.iterator():
        if refresh_link(link, now).state == LinkState.EXPIRED:
            count += 1
    return count


def link_status(link: PaymentLink) -> LinkStatus:
    """Return the current state of a link for the till's polling; expire it if overdue."""
    link = refresh_link(link)
    seconds_left = 0
    if link.state == LinkState.ACTIVE:
        seconds_left = max(0, int((link.expires_at - timezone.now()).total_seconds()))
    return LinkStatus(
        state=link.state,
        seconds_left=seconds_left,
        expires_at=link.expires_at,
        order_code=link.order.code,
        kassenzeichen=link.order.kassenzeichen_display,
        total_cents=link.order.total_cents,
    )


def find_link(token: str) -> PaymentLink | None:
    """Return the link with this token, or None; the token is compared in the database."""
    if not token or len(token) > 64:
        return None
    return (
        PaymentLink.objects.select_related("order", "order__municipality", "point_of_sale")
        .filter(token=token)
        .first()
    )


def qr_code_data_uri(url: str) -> str:
    """Return the QR code of an address as an SVG data URI, which the CSP allows as image."""
    return segno.make(url, error="m").svg_data_uri(scale=8, border=4, dark="#000", light="#fff")
