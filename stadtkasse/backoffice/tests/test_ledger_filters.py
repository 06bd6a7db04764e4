"""Ledger filters: Berlin days across DST, channel, operator, point of sale, state."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from stadtkasse.backoffice.forms import LedgerFilterForm
from stadtkasse.backoffice.ledger import ALL_STATES, LedgerFilter, filter_orders
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Operator, PointOfSale
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order

LEDGER = reverse("backoffice:ledger")


def placed_at(order: Order, moment: datetime) -> Order:
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    order.refresh_from_db()
    return order


def codes(ledger_filter: LedgerFilter) -> set[str]:
    return set(filter_orders(ledger_filter).values_list("code", flat=True))


@pytest.fixture
def dst_orders(sell_at_pool):
    """Orders just after the spring and the autumn clock change, and at the edges of those days."""
    return {
        # 01:30 UTC is 03:30 CEST on 29 March 2026, the day the clocks go forward.
        "spring": placed_at(sell_at_pool(), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # 22:30 UTC on 28 March is 23:30 CET, still the day before.
        "spring_eve": placed_at(sell_at_pool(), datetime(2026, 3, 28, 22, 30, tzinfo=UTC)),
        # 00:30 UTC is 02:30 CEST on 25 October 2026, the day the clocks go back.
        "autumn": placed_at(sell_at_pool(), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        # 22:59 UTC on 25 October is 23:59 CET, the last minute of that 25-hour day.
        "autumn_late": placed_at(sell_at_pool(), datetime(2026, 10, 25, 22, 59, tzinfo=UTC)),
        # 23:00 UTC on 25 October is midnight CET, the next day.
        "autumn_next": placed_at(sell_at_pool(), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
    }


def test_spring_switch_day(demo, dst_orders):
    day = date(2026, 3, 29)

    assert codes(LedgerFilter(demo, date_from=day, date_to=day)) == {dst_orders["spring"].code}


def test_day_before_spring_switch(demo, dst_orders):
    day = date(2026, 3, 28)

    assert codes(LedgerFilter(demo, date_from=day, date_to=day)) == {dst_orders["spring_eve"].code}


def test_autumn_switch_day_has_25_hours(demo, dst_orders):
    day = date(2026, 10, 25)

    assert codes(LedgerFilter(demo, date_from=day, date_to=day)) == {
        dst_orders["autumn"].code,
        dst_orders["autumn_late"].code,
    }


def test_day_after_autumn_switch(demo, dst_orders):
    day = date(2026, 10, 26)

    assert codes(LedgerFilter(demo, date_from=day, date_to=day)) == {dst_orders["autumn_next"].code}


def test_open_ended_range(demo, dst_orders):
    assert codes(LedgerFilter(demo, date_from=date(2026, 10, 1))) == {
        dst_orders["autumn"].code,
        dst_orders["autumn_late"].code,
        dst_orders["autumn_next"].code,
    }
    assert codes(LedgerFilter(demo, date_to=date(2026, 3, 29))) == {
        dst_orders["spring"].code,
        dst_orders["spring_eve"].code,
    }


def test_ledger_page_shows_berlin_time(login, dst_orders):
    page = login("stadtkasse").get(LEDGER, {"date_from": "29.03.2026", "date_to": "29.03.2026"})
    html = page.content.decode()

    assert "29.03.2026 03:30" in html
    assert dst_orders["spring_eve"].code not in html


def test_iso_dates_accepted(login, dst_orders):
    page = login("stadtkasse").get(LEDGER, {"date_from": "2026-10-25", "date_to": "2026-10-25"})

    assert page.context["totals"].order_count == 2


@pytest.fixture
def kiosk_order(demo, product):
    """An unpaid order at the parking pay machine, created through the order service."""
    machine = PointOfSale.objects.get(slug="kassenautomat")
    lines = price_lines(
        demo,
        [LineRequest(product("parkticket-verloren").pk, None, 1)],
        channel=Channel.KIOSK,
        point_of_sale=machine,
    )
    return create_order(demo, lines, channel=Channel.KIOSK, point_of_sale=machine)


def test_channel_filter(demo, mixed_orders, kiosk_order):
    portal = codes(LedgerFilter(demo, channel=Channel.PORTAL, state=ALL_STATES))
    kiosk = codes(LedgerFilter(demo, channel=Channel.KIOSK, state=ALL_STATES))

    assert portal == {mixed_orders["online"].code, mixed_orders["unpaid"].code}
    assert kiosk == {kiosk_order.code}


def test_operator_filter_uses_order_lines(demo, mixed_orders):
    pool = Operator.objects.get(slug="hallenbad")

    # The portal order contains a pool ticket beside a Bürgerbüro fee.
    assert codes(LedgerFilter(demo, operator_id=pool.pk)) == {
        mixed_orders["pool_cash"].code,
        mixed_orders["pool_card"].code,
        mixed_orders["online"].code,
    }


def test_operator_filter_counts_order_once(demo, portal_order):
    office = Operator.objects.get(slug="buergerbuero")
    order = portal_order([("meldebescheinigung", None, 1, {}), ("fuehrungszeugnis", None, 1, {})])

    assert list(filter_orders(LedgerFilter(demo, operator_id=office.pk))) == [order]


def test_point_of_sale_filter(demo, mixed_orders, office_counter):
    assert codes(LedgerFilter(demo, point_of_sale_id=office_counter.pk)) == {
        mixed_orders["office_cash"].code
    }


def test_state_filter_defaults_to_paid(demo, mixed_orders):
    paid = codes(LedgerFilter(demo))
    pending = codes(LedgerFilter(demo, state=OrderState.PENDING_PAYMENT))
    every = codes(LedgerFilter(demo, state=ALL_STATES))

    assert mixed_orders["unpaid"].code not in paid
    assert len(paid) == 4
    assert pending == {mixed_orders["unpaid"].code}
    assert len(every) == 5


def test_form_without_state_selects_paid(demo):
    form = LedgerFilterForm({}, municipality=demo)

    assert form.is_valid()
    assert form.ledger_filter().state == OrderState.PAID


@pytest.mark.parametrize(
    "value",
    ["31.02.2026", "gestern"],
)
def test_invalid_date_message(login, value):
    response = login("stadtkasse").get(LEDGER, {"date_from": value})

    assert response.status_code == 200
    assert response.context["form"].errors["date_from"] == [
        f"„{value}“ ist kein gültiges Datum für „Von“. "
        "Bitte geben Sie das Datum als TT.MM.JJJJ ein, zum Beispiel 31.03.2026."
    ]
    assert response.context["totals"] is None


def test_invalid_date_page_explains(login):
    html = login("stadtkasse").get(LEDGER, {"date_to": "gestern"}).content.decode()

    assert "„gestern“ ist kein gültiges Datum für „Bis“." in html
    assert "Bitte korrigieren Sie den Filter." in html


def test_reversed_range_message(login):
    response = login("stadtkasse").get(LEDGER, {"date_from": "2026-04-02", "date_to": "01.04.2026"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Das Startdatum 02.04.2026 liegt nach dem Enddatum 01.04.2026. "
        "Bitte wählen Sie ein Startdatum, das am oder vor dem Enddatum liegt."
    ]


def test_unknown_channel_message(login):
    response = login("stadtkasse").get(LEDGER, {"channel": "fax"})

    assert response.context["form"].errors["channel"] == [
        "„fax“ ist keine Auswahl für „Kanal“. Bitte wählen Sie einen Eintrag aus der Liste."
    ]


def test_export_with_invalid_filter_returns_to_ledger(login):
    response = login("stadtkasse").get(reverse("backoffice:export"), {"date_from": "gestern"})

    assert response.status_code == 302
    assert response["Location"] == f"{LEDGER}?date_from=gestern"


def test_pagination_keeps_filter(login, sell_at_pool, monkeypatch):
    from stadtkasse.backoffice import views

    for _ in range(3):
        sell_at_pool()
    monkeypatch.setattr(views, "ORDERS_PER_PAGE", 2)
    response = login("stadtkasse").get(LEDGER, {"channel": "counter", "page": "2"})

    assert len(response.context["rows"]) == 1
    assert 'href="?channel=counter&amp;page=1"' in response.content.decode()
