"""Refunds in the ledger: totals per payment method and VAT rate, the order list, the export.

The refunds go through the real services: a cash refund is done once the cashier confirms
the payout, an e-payment refund once the demo provider refunded it, and a refund by bank
transfer once it is in a transfer file.
"""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from stadtkasse.backoffice.ledger import ALL_STATES, LedgerFilter, compute_totals
from stadtkasse.backoffice.tests.test_ledger_totals import count_ledger_queries
from stadtkasse.core.models import Operator
from stadtkasse.core.roles import TREASURY, group_name
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState, RefundState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.refunds import (
    complete_refund,
    mark_refunds_sent,
    refund_order,
    refund_payment,
)
from stadtkasse.payments.services import apply_provider_result

LEDGER = reverse("backoffice:ledger")
EXPORT = reverse("backoffice:export")
TICKET = [("tageskarte", "Erwachsene", 1, {})]  # 4,00 € at 7 %

ORDER_REFUNDED = "Erstattet für die Bestellung (EUR)"
REFUNDED_GROSS = "Erstattet brutto (EUR)"
REFUNDED_VAT = "Erstattete Umsatzsteuer (EUR)"
UNSPLIT = "Erstattet, nicht nach Steuersatz aufgeteilt (EUR)"


@pytest.fixture
def treasurer(demo):
    user = get_user_model().objects.create_user("kaemmerei.journal", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name(TREASURY)))
    return get_user_model().objects.get(pk=user.pk)


def refund(order, treasurer, amount_cents):
    payment = order.payments.get(state=PaymentState.CONFIRMED)
    return refund_payment(payment, amount_cents=amount_cents, reason="Rückgabe", user=treasurer)


@pytest.fixture
def refunded_orders(mixed_orders, treasurer, office_cashier):
    """Refund parts of the mixed orders: two cash payouts, one full e-payment, one pending card.

    - pool_cash (8,00 € at 7 %, cash): 4,00 € paid out.
    - office_cash (6,00 € at 19 % and 5,00 € not taxable, cash): 3,00 € paid out.
    - online (5,00 € not taxable and 9,00 € at 7 %, e-payment): refunded in full.
    - pool_card (35,00 € at 7 %, stand-alone card terminal): 10,00 € still pending.
    """
    for name, amount_cents in (("pool_cash", 400), ("office_cash", 300)):
        pending = refund(mixed_orders[name], treasurer, amount_cents)
        complete_refund(pending, cause="paid out at the counter", user=office_cashier)
    refund_order(mixed_orders["online"], user=treasurer, reason="Antrag zurückgezogen")
    pending = refund(mixed_orders["pool_card"], treasurer, 1000)
    assert pending.state == RefundState.PENDING
    return mixed_orders


def payment_figures(totals) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        row.method: (
            row.count,
            row.amount_cents,
            row.refund_count,
            row.refunded_cents,
            row.net_cents,
        )
        for row in totals.payment_rows
    }


def refund_figures(totals) -> dict[str, tuple[int, int]]:
    return {
        row.vat_treatment: (row.refunded_gross_cents, row.refunded_vat_cents)
        for row in totals.vat_rows
    }


def download(client, **params) -> list[dict[str, str]]:
    response = client.get(EXPORT, params)
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(body), delimiter=";"))


def cents(text: str) -> int:
    return int(text.replace(",", "")) if text else 0


def test_payments_less_done_refunds(demo, refunded_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert payment_figures(totals) == {
        PaymentMethod.CASH: (2, 1900, 2, 700, 1200),
        # The pending card refund is not counted yet.
        PaymentMethod.CARD_EXTERNAL: (1, 3500, 0, 0, 3500),
        PaymentMethod.EPAY: (1, 1400, 1, 1400, 0),
    }
    assert totals.paid_cents == 6800
    assert totals.refunded_cents == 2100
    assert totals.net_paid_cents == 4700


def test_sales_unchanged_by_refunds(demo, refunded_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert totals.order_count == 4
    assert totals.order_total_cents == 6800
    assert (totals.gross_cents, totals.net_cents, totals.vat_cents) == (6800, 6364, 436)


def test_refunds_split_by_vat_rate(demo, refunded_orders):
    totals = compute_totals(LedgerFilter(demo))

    assert refund_figures(totals) == {
        # 4,00 € of a 7 % order with VAT 0,26, and the 9,00 € line of the full refund with
        # its VAT 0,59.
        "reduced": (1300, 85),
        # The 3,00 € of the order with 19 % and untaxed lines are not split.
        "standard": (0, 0),
        "not_taxable": (500, 0),
    }
    assert totals.unsplit_refund_cents == 300
    assert totals.unsplit_refund_orders == 1
    assert (
        totals.gross_after_refunds_cents,
        totals.net_after_refunds_cents,
        totals.vat_after_refunds_cents,
    ) == (5000, 4649, 351)


def test_pending_refund_counts_once_done(demo, refunded_orders, office_cashier):
    card_refund = refunded_orders["pool_card"].payments.get().refunds.get()

    complete_refund(card_refund, cause="refunded on the terminal", user=office_cashier)
    totals = compute_totals(LedgerFilter(demo))

    assert payment_figures(totals)[PaymentMethod.CARD_EXTERNAL] == (1, 3500, 1, 1000, 2500)
    # 10,00 € at 7 % contain VAT 0,65.
    assert refund_figures(totals)["reduced"] == (2300, 150)


def test_transfer_refund_counts_once_sent(demo, portal_order, treasurer):
    order = portal_order([("meldebescheinigung", None, 1, {})], pay=False)
    payment = Payment.objects.create(
        order=order, method=PaymentMethod.TRANSFER, amount_cents=order.total_cents
    )
    apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=order.total_cents,
            data={"payer_iban": "DE02120300000000202051", "payer_name": "Erika Mustermann"},
        ),
        cause="bank statement line",
    )
    (pending,) = refund_order(order, user=treasurer, reason="Doppelt bestellt")

    before = compute_totals(LedgerFilter(demo))
    mark_refunds_sent([pending], file_reference="UEB-2026-0001")
    after = compute_totals(LedgerFilter(demo))

    assert payment_figures(before)[PaymentMethod.TRANSFER] == (1, 500, 0, 0, 500)
    assert payment_figures(after)[PaymentMethod.TRANSFER] == (1, 500, 1, 500, 0)
    assert refund_figures(after)["not_taxable"] == (500, 0)


def test_overpayment_refund_reduces_no_sales(demo, portal_order, treasurer):
    order = portal_order([("tageskarte", "Erwachsene", 1, {})], pay=False)  # 4,00 € at 7 %
    payment = Payment.objects.create(order=order, method=PaymentMethod.TRANSFER, amount_cents=600)
    apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=600,
            data={"payer_iban": "DE02120300000000202051", "payer_name": "Erika Mustermann"},
        ),
        cause="bank statement line",
    )
    back = refund_payment(payment, amount_cents=200, reason="Überzahlung", user=treasurer)
    mark_refunds_sent([back], file_reference="UEB-2026-0002")

    # The overpaid order waits for clarification, so only the filter for all states shows it.
    totals = compute_totals(LedgerFilter(demo, state=ALL_STATES))

    assert payment_figures(totals)[PaymentMethod.TRANSFER] == (1, 600, 1, 200, 400)
    assert refund_figures(totals) == {"reduced": (0, 0)}
    assert totals.unsplit_refund_cents == 0


def test_operator_filter_leaves_mixed_order_unsplit(demo, refunded_orders):
    pool = Operator.objects.get(slug="hallenbad")

    totals = compute_totals(LedgerFilter(demo, operator_id=pool.pk))

    # The full refund of the portal order takes back the pool's 9,00 € line. The 4,00 €
    # of the pool's cash order are all at 7 %, so they are split too.
    assert refund_figures(totals) == {"reduced": (1300, 85)}
    assert totals.unsplit_refund_cents == 0


def test_page_shows_refund_totals(login, refunded_orders):
    html = login("stadtkasse").get(LEDGER).content.decode()

    assert "Zahlungen abzüglich Erstattungen" in html
    assert "21,00\u00a0€" in html
    assert "47,00\u00a0€" in html
    assert "Umsatzsteuer nach Erstattungen" in html
    assert "3,51\u00a0€" in html
    assert "Teilerstattungen von 1 Bestellung mit mehreren Steuersätzen: 3,00\u00a0€." in html


def order_row(html: str, code: str) -> str:
    start = html.index(f">{code}</a>")
    return html[start : html.index("</tr>", start)]


def test_order_rows_show_refunds(login, refunded_orders):
    html = login("stadtkasse").get(LEDGER).content.decode()

    online = order_row(html, refunded_orders["online"].code)
    partial = order_row(html, refunded_orders["pool_cash"].code)
    pending = order_row(html, refunded_orders["pool_card"].code)

    assert '14,00\u00a0€ <span class="badge">vollständig erstattet</span>' in online
    assert '<td class="num refunded">4,00\u00a0€</td>' in partial
    assert '<td class="num refunded">–</td>' in pending


def test_export_refund_columns(login, refunded_orders):
    rows = download(login("stadtkasse"))

    def rows_of(name: str) -> list[tuple[str, str, str, str]]:
        return [
            (row[ORDER_REFUNDED], row[REFUNDED_GROSS], row[REFUNDED_VAT], row[UNSPLIT])
            for row in rows
            if row["Bestellnummer"] == refunded_orders[name].code
        ]

    assert rows_of("pool_cash") == [("4,00", "4,00", "0,26", "0,00")]
    assert rows_of("office_cash") == [("3,00", "0,00", "0,00", "3,00"), ("", "0,00", "0,00", "")]
    assert rows_of("online") == [("14,00", "5,00", "0,00", "0,00"), ("", "9,00", "0,59", "")]
    assert rows_of("pool_card") == [("0,00", "0,00", "0,00", "0,00")]


def test_export_refund_sums_match_page(demo, login, refunded_orders):
    rows = download(login("stadtkasse"))
    totals = compute_totals(LedgerFilter(demo))

    assert sum(cents(row[ORDER_REFUNDED]) for row in rows) == totals.refunded_cents
    assert sum(cents(row[REFUNDED_GROSS]) for row in rows) == totals.refunded_gross_cents
    assert sum(cents(row[REFUNDED_VAT]) for row in rows) == totals.refunded_vat_cents
    assert sum(cents(row[UNSPLIT]) for row in rows) == totals.unsplit_refund_cents


def test_ledger_queries_constant_with_refunds(
    login, sell_at_pool, portal_order, treasurer, office_cashier
):
    client = login("stadtkasse")
    sell_at_pool(1, PaymentMethod.CASH)
    without_refunds = count_ledger_queries(client)
    for _ in range(5):
        sold = sell_at_pool(1, PaymentMethod.CASH)
        pending = refund(sold, treasurer, 100)
        complete_refund(pending, cause="paid out at the counter", user=office_cashier)
        refund_order(portal_order(TICKET), user=treasurer, reason="Antrag zurückgezogen")

    assert count_ledger_queries(client) == without_refunds
