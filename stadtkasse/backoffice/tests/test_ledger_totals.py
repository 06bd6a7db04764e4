"""Totals of the ledger per VAT treatment and payment method, and the queries they cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stadtkasse.backoffice.ledger import ALL_STATES, LedgerFilter, compute_totals
from stadtkasse.backoffice.tests.conftest import pay_online
from stadtkasse.core.models import Operator
from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment

LEDGER = reverse("backoffice:ledger")


def vat_by_treatment(totals) -> dict[str, tuple[int, int, int]]:
    return {
        row.vat_treatment: (row.gross_cents, row.net_cents, row.vat_cents)
        for row in totals.vat_rows
    }


def payments_by_method(totals) -> dict[str, tuple[int, int]]:
    return {row.method: (row.count, row.amount_cents) for row in totals.payment_rows}


def test_paid_order_totals(demo, mixed_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert totals.order_count == 4
    # 8,00 + 35,00 + 11,00 + 14,00
    assert totals.order_total_cents == 6800


def test_vat_per_treatment(demo, mixed_orders):
    totals = compute_totals(LedgerFilter(demo))

    # 7 %: 8,00 (VAT 0,52) + 35,00 (VAT 2,29) + 9,00 (VAT 0,59), each line rounded once.
    assert vat_by_treatment(totals)["reduced"] == (5200, 4860, 340)
    # 19 %: 6,00 with VAT 0,96 (600 - 600 / 1,19 = 95,80).
    assert vat_by_treatment(totals)["standard"] == (600, 504, 96)
    assert vat_by_treatment(totals)["not_taxable"] == (1000, 1000, 0)
    assert (totals.gross_cents, totals.net_cents, totals.vat_cents) == (6800, 6364, 436)


def test_vat_rows_ordered_by_rate(demo, mixed_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert [row.vat_treatment for row in totals.vat_rows] == [
        "standard",
        "reduced",
        "not_taxable",
    ]


def test_payments_per_method(demo, mixed_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert payments_by_method(totals) == {
        PaymentMethod.CASH: (2, 1900),
        PaymentMethod.CARD_EXTERNAL: (1, 3500),
        PaymentMethod.EPAY: (1, 1400),
    }
    assert totals.paid_cents == 6800


def test_all_states_include_unpaid(demo, mixed_orders):
    totals = compute_totals(LedgerFilter(demo, state=ALL_STATES))

    assert totals.order_count == 5
    assert totals.order_total_cents == 8100
    assert vat_by_treatment(totals)["not_taxable"] == (2300, 2300, 0)
    # The unpaid order has no confirmed payment, so the money taken stays the same.
    assert totals.paid_cents == 6800


def test_operator_totals_count_its_lines(demo, mixed_orders):
    pool = Operator.objects.get(slug="hallenbad")

    totals = compute_totals(LedgerFilter(demo, operator_id=pool.pk))

    assert vat_by_treatment(totals) == {"reduced": (5200, 4860, 340)}
    # The portal order also contains a Bürgerbüro fee, and order totals are whole orders.
    assert totals.order_total_cents == 800 + 3500 + 1400


def test_clarification_counted(demo, portal_order):
    order = portal_order([("meldebescheinigung", None, 1, {})], pay=False)
    # A second payment started before the first one came back, then both are confirmed.
    second, _url = start_online_payment(
        order,
        provider_id="demo",
        return_url="http://127.0.0.1/r/__REF__",
        notify_url="http://127.0.0.1/n/",
    )
    pay_online(order)
    apply_provider_result(
        ProviderResult(str(second.reference), PaymentState.CONFIRMED, amount_cents=500),
        cause="late notification",
    )
    order.refresh_from_db()

    totals = compute_totals(LedgerFilter(demo))

    assert order.state == OrderState.PAID
    assert totals.payment_rows[0].count == 2
    assert totals.payment_rows[0].needing_clarification == 1


def test_page_shows_totals(login, mixed_orders):
    html = login("stadtkasse").get(LEDGER).content.decode()

    assert "68,00\u00a0€" in html
    assert "4,36\u00a0€" in html
    assert "Die Summen zählen nur Bestellungen im Status <strong>bezahlt</strong>." in html


def test_page_explains_all_states(login, mixed_orders):
    html = login("stadtkasse").get(LEDGER, {"state": "all"}).content.decode()

    assert "Die Summen zählen Bestellungen in <strong>jedem Status</strong>" in html


def count_ledger_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LEDGER, {"state": "all"})
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def many_sales(sell_at_pool, portal_order):
    """Sell ``count`` orders: pool tickets by cash and card, and paid portal orders."""

    def make(count: int) -> None:
        for number in range(count):
            if number % 5 == 4:
                portal_order([("meldebescheinigung", None, 1, {})])
            else:
                sell_at_pool(1, PaymentMethod.CASH if number % 2 else PaymentMethod.CARD_EXTERNAL)

    return make


def test_ledger_queries_constant(login, many_sales):
    client = login("stadtkasse")
    many_sales(5)
    with_five = count_ledger_queries(client)
    many_sales(45)
    with_fifty = count_ledger_queries(client)

    assert with_fifty == with_five


def test_ledger_query_count(login, many_sales, django_assert_max_num_queries):
    client = login("stadtkasse")
    many_sales(50)

    # Municipality, session, user, permissions (2), filter choices (2), totals (3), and
    # the rows of the page with their payments (2).
    with django_assert_max_num_queries(12):
        client.get(LEDGER)
