"""Payment link services: create, validate, cancel, expire, and a payment after expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order
from stadtkasse.paylinks.errors import PaylinkError
from stadtkasse.paylinks.models import LinkState, PaymentLink
from stadtkasse.paylinks.services import (
    cancel_link,
    create_link,
    expire_stale_links,
    find_link,
    link_status,
    qr_code_data_uri,
    refresh_link,
)
from stadtkasse.payments.models import ClarificationReason, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment


def nothing_stored() -> bool:
    return Order.objects.count() == 0 and PaymentLink.objects.count() == 0


def make_overdue(link: PaymentLink) -> None:
    """Move the expiry of a link and its order into the past."""
    past = timezone.now() - timedelta(minutes=1)
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=past)
    Order.objects.filter(pk=link.order_id).update(expires_at=past)


def pay_online(link: PaymentLink):
    """Start a demo payment of the link's order and confirm it as the platform would."""
    payment, _url = start_online_payment(
        link.order,
        provider_id="demo",
        return_url="http://127.0.0.1/zahlung/__REF__/zurueck/",
        notify_url="http://127.0.0.1/zahlung/benachrichtigung/demo/",
    )
    return payment, ProviderResult(
        payment_reference=str(payment.reference),
        state=PaymentState.CONFIRMED,
        amount_cents=payment.amount_cents,
    )


# ---- Creating a link ---------------------------------------------------------------------


def test_create_link_stores_pending_counter_order(pool_till, pool_cashier, day_ticket_lines):
    link, created = create_link(pool_till, pool_cashier, day_ticket_lines(2))

    order = link.order
    assert created is True
    assert link.state == LinkState.ACTIVE
    assert order.state == OrderState.PENDING_PAYMENT
    assert order.channel == Channel.COUNTER
    assert order.point_of_sale == pool_till
    assert order.cashier == pool_cashier
    assert order.total_cents == 800
    assert order.expires_at == link.expires_at
    assert link.created_by == pool_cashier
    assert link.created_order is True


def test_create_link_default_validity_fifteen_minutes(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())

    validity = link.expires_at - link.created_at
    assert timedelta(minutes=14) < validity <= timedelta(minutes=15)


def test_create_link_validity_per_call(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines(), minutes=24 * 60)

    validity = link.expires_at - link.created_at
    assert timedelta(hours=23, minutes=59) < validity <= timedelta(hours=24)


def test_create_link_token_is_long_and_random(pool_till, pool_cashier, day_ticket_lines):
    first, _ = create_link(pool_till, pool_cashier, day_ticket_lines())
    second, _ = create_link(pool_till, pool_cashier, day_ticket_lines())

    # token_urlsafe(32): 43 characters of 6 bits, 256 bits in all.
    assert len(first.token) >= 43
    assert first.token != second.token
    assert find_link(first.token) == first


def test_create_link_writes_audit_entry(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines(), minutes=30)

    entry = AuditLogEntry.objects.get(action="paylink.created")
    assert entry.object_id == str(link.pk)
    assert entry.user == pool_cashier
    assert entry.data["order"] == link.order.code
    assert entry.data["minutes"] == 30


def test_same_client_token_one_link(pool_till, pool_cashier, day_ticket_lines):
    first, first_created = create_link(
        pool_till, pool_cashier, day_ticket_lines(), client_token="abcdef123456"
    )
    again, again_created = create_link(
        pool_till, pool_cashier, day_ticket_lines(), client_token="abcdef123456"
    )

    assert (first_created, again_created) == (True, False)
    assert again == first
    assert Order.objects.count() == 1
    assert PaymentLink.objects.count() == 1


def test_empty_sale_rejected(pool_till, pool_cashier):
    with pytest.raises(SaleError) as raised:
        create_link(pool_till, pool_cashier, [])

    assert raised.value.message == (
        "Der Verkauf enthält keine Positionen. Bitte fügen Sie mindestens eine Leistung hinzu."
    )
    assert nothing_stored()


def test_product_of_other_operator_rejected(pool_till, pool_cashier, product):
    passport = product("reisepass-48-seiten")

    with pytest.raises(SaleError) as raised:
        create_link(pool_till, pool_cashier, [LineRequest(passport.pk, None, 1)])

    assert raised.value.message == (
        "„Zuschlag Reisepass mit 48 Seiten“ wird hier nicht verkauft. "
        "Bitte wählen Sie eine Leistung, die hier angeboten wird."
    )
    assert nothing_stored()


def test_invalid_quantity_rejected(pool_till, pool_cashier, day_ticket_lines):
    with pytest.raises(SaleError) as raised:
        create_link(pool_till, pool_cashier, day_ticket_lines(quantity=0))

    assert raised.value.code == "invalid_quantity"
    assert nothing_stored()


@pytest.mark.parametrize("minutes", [0, 1441, "zehn", -5, 2.5, True])
def test_invalid_validity_rejected(pool_till, pool_cashier, day_ticket_lines, minutes):
    with pytest.raises(PaylinkError) as raised:
        create_link(pool_till, pool_cashier, day_ticket_lines(), minutes=minutes)

    assert raised.value.code == "invalid_validity"
    assert nothing_stored()


def test_invalid_validity_message(pool_till, pool_cashier, day_ticket_lines):
    with pytest.raises(PaylinkError) as raised:
        create_link(pool_till, pool_cashier, day_ticket_lines(), minutes="zehn")

    assert raised.value.message == (
        "Die Gültigkeit „zehn“ ist nicht möglich. "
        "Bitte wählen Sie eine ganze Zahl von 1 bis 1440 Minuten."
    )


# ---- A link for an order that exists already ---------------------------------------------


@pytest.fixture
def open_order(pool_till, pool_cashier, day_ticket_lines):
    lines = price_lines(
        pool_till.municipality,
        day_ticket_lines(1),
        channel=Channel.COUNTER,
        point_of_sale=pool_till,
    )
    return create_order(
        pool_till.municipality,
        lines,
        channel=Channel.COUNTER,
        point_of_sale=pool_till,
        cashier=pool_cashier,
        state=OrderState.OPEN,
    )


def test_link_for_open_order_reserves_it(pool_till, pool_cashier, open_order):
    link, created = create_link(pool_till, pool_cashier, order=open_order)

    open_order.refresh_from_db()
    assert created is True
    assert link.order == open_order
    assert link.created_order is False
    assert open_order.state == OrderState.PENDING_PAYMENT
    assert open_order.expires_at == link.expires_at


def test_cancel_link_of_open_order_opens_it_again(pool_till, pool_cashier, open_order):
    link, _created = create_link(pool_till, pool_cashier, order=open_order)

    cancel_link(link, user=pool_cashier)

    open_order.refresh_from_db()
    assert open_order.state == OrderState.OPEN
    assert open_order.expires_at is None


def test_link_for_paid_order_rejected(pool_till, pool_cashier, open_order):
    Order.objects.filter(pk=open_order.pk).update(state=OrderState.PAID)
    open_order.refresh_from_db()

    with pytest.raises(PaylinkError) as raised:
        create_link(pool_till, pool_cashier, order=open_order)

    assert raised.value.message == (
        f"Für die Bestellung {open_order.code} kann kein Zahlungslink erstellt werden, "
        "weil sie bezahlt ist. Nur eine offene Bestellung kann per Link bezahlt werden."
    )
    assert PaymentLink.objects.count() == 0


# ---- Cancel ------------------------------------------------------------------------------


def test_cancel_link_cancels_its_order(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())

    canceled = cancel_link(link, user=pool_cashier)

    assert canceled.state == LinkState.CANCELED
    assert canceled.canceled_by == pool_cashier
    assert Order.objects.get(pk=link.order_id).state == OrderState.CANCELED
    assert AuditLogEntry.objects.filter(action="paylink.canceled").count() == 1


def test_cancel_twice_changes_nothing(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    cancel_link(link, user=pool_cashier)

    again = cancel_link(link, user=pool_cashier)

    assert again.state == LinkState.CANCELED
    assert AuditLogEntry.objects.filter(action="paylink.canceled").count() == 1


def test_cancel_paid_link_rejected(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    _payment, result = pay_online(link)
    apply_provider_result(result, cause="test")

    with pytest.raises(PaylinkError) as raised:
        cancel_link(link, user=pool_cashier)

    assert raised.value.message == (
        f"Der Zahlungslink der Bestellung {link.order.code} ist bereits bezahlt "
        "und kann nicht mehr zurückgezogen werden."
    )
    assert Order.objects.get(pk=link.order_id).state == OrderState.PAID


def test_payment_after_cancel_flagged(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    _payment, result = pay_online(link)
    cancel_link(link, user=pool_cashier)

    payment = apply_provider_result(result, cause="test")

    assert payment.needs_clarification is True
    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE


# ---- Status and expiry -------------------------------------------------------------------


def test_status_of_active_link(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())

    status = link_status(link)

    assert status.state == LinkState.ACTIVE
    assert 0 < status.seconds_left <= 15 * 60
    assert status.order_code == link.order.code
    assert status.total_cents == 800


def test_status_after_payment_is_paid(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    _payment, result = pay_online(link)
    apply_provider_result(result, cause="test")

    status = link_status(PaymentLink.objects.get(pk=link.pk))

    stored = PaymentLink.objects.get(pk=link.pk)
    assert status.state == LinkState.PAID
    assert status.seconds_left == 0
    assert stored.state == LinkState.PAID
    assert stored.paid_at is not None


def test_status_of_overdue_link_expires_it(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    make_overdue(link)

    status = link_status(PaymentLink.objects.get(pk=link.pk))

    assert status.state == LinkState.EXPIRED
    assert Order.objects.get(pk=link.order_id).state == OrderState.EXPIRED


def test_expire_stale_links_counts_overdue_only(pool_till, pool_cashier, day_ticket_lines):
    overdue, _ = create_link(pool_till, pool_cashier, day_ticket_lines())
    current, _ = create_link(pool_till, pool_cashier, day_ticket_lines())
    make_overdue(overdue)

    count = expire_stale_links()

    assert count == 1
    assert PaymentLink.objects.get(pk=overdue.pk).state == LinkState.EXPIRED
    assert PaymentLink.objects.get(pk=current.pk).state == LinkState.ACTIVE
    assert Order.objects.get(pk=overdue.order_id).state == OrderState.EXPIRED


def test_order_expiry_job_expires_link(pool_till, pool_cashier, day_ticket_lines):
    from stadtkasse.orders.services import expire_overdue_orders

    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    make_overdue(link)
    expire_overdue_orders()

    refreshed = refresh_link(PaymentLink.objects.select_related("order").get(pk=link.pk))

    assert refreshed.state == LinkState.EXPIRED


def test_payment_after_expiry_flagged(pool_till, pool_cashier, day_ticket_lines):
    link, _created = create_link(pool_till, pool_cashier, day_ticket_lines())
    _payment, result = pay_online(link)
    make_overdue(link)
    expire_stale_links()

    payment = apply_provider_result(result, cause="test")

    assert payment.state == PaymentState.CONFIRMED
    assert payment.needs_clarification is True
    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE
    assert Order.objects.get(pk=link.order_id).state == OrderState.EXPIRED
    assert PaymentLink.objects.get(pk=link.pk).state == LinkState.EXPIRED


def test_qr_code_is_svg_data_uri():
    uri = qr_code_data_uri("http://127.0.0.1:8000/zahlen/abc/")

    assert uri.startswith("data:image/svg+xml")
