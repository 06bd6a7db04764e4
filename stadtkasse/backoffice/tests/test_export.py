"""The CSV export of the ledger for German Excel."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from stadtkasse.backoffice.ledger import (
    EXPORT_COLUMNS,
    LedgerFilter,
    decimal_comma,
    export_csv,
    guard_formula,
    percent,
)
from stadtkasse.catalog.models import Product
from stadtkasse.orders.models import Order

EXPORT = reverse("backoffice:export")


def download(client, **params) -> tuple[object, str]:
    response = client.get(EXPORT, params)
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body


def parse(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


@pytest.fixture
def exported(login, mixed_orders):
    response, body = download(login("stadtkasse"))
    return response, body, parse(body)


def test_export_is_streamed_csv(exported):
    response, _body, _rows = exported

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="journal_musterstadt.csv"'


def test_export_starts_with_bom(exported):
    _response, body, _rows = exported

    assert body.startswith("\ufeffBestellnummer;Kassenzeichen;Datum und Uhrzeit")


def test_export_header(exported):
    _response, _body, rows = exported

    assert list(rows[0].keys()) == [
        "Bestellnummer",
        "Kassenzeichen",
        "Datum und Uhrzeit (Europa/Berlin)",
        "Kanal",
        "Verkaufsstelle",
        "Betrieb",
        "Status",
        "Bezeichnung",
        "Menge",
        "Einzelpreis (EUR)",
        "Positionsbetrag brutto (EUR)",
        "Besteuerung",
        "Steuersatz (%)",
        "Umsatzsteuer (EUR)",
        "Netto (EUR)",
        "Sachkonto",
        "Produkt (Haushalt)",
        "Kostenstelle",
        "Zahlungsarten",
        "Erstattet für die Bestellung (EUR)",
        "Erstattet brutto (EUR)",
        "Erstattete Umsatzsteuer (EUR)",
        "Erstattet, nicht nach Steuersatz aufgeteilt (EUR)",
    ]
    assert len(EXPORT_COLUMNS) == 23


def test_export_one_row_per_line(exported, mixed_orders):
    _response, _body, rows = exported

    # Paid orders only: 1 + 1 + 2 + 2 lines.
    assert len(rows) == 6
    assert {row["Bestellnummer"] for row in rows} == {
        mixed_orders[name].code for name in ("pool_cash", "pool_card", "office_cash", "online")
    }


def test_export_row_values(exported, mixed_orders):
    _response, _body, rows = exported
    order = mixed_orders["pool_cash"]
    (row,) = [row for row in rows if row["Bestellnummer"] == order.code]

    assert row["Kassenzeichen"] == order.kassenzeichen_display
    assert row["Kanal"] == "Kasse"
    assert row["Verkaufsstelle"] == "Hallenbad Musterstadt – Kasse"
    assert row["Betrieb"] == "Hallenbad Musterstadt"
    assert row["Status"] == "bezahlt"
    assert row["Bezeichnung"] == "Tageskarte Hallenbad – Erwachsene"
    assert row["Menge"] == "2"
    assert row["Einzelpreis (EUR)"] == "4,00"
    assert row["Positionsbetrag brutto (EUR)"] == "8,00"
    assert row["Steuersatz (%)"] == "7"
    assert row["Umsatzsteuer (EUR)"] == "0,52"
    assert row["Netto (EUR)"] == "7,48"
    assert (row["Sachkonto"], row["Produkt (Haushalt)"], row["Kostenstelle"]) == (
        "441100",
        "424010",
        "4240",
    )
    assert row["Zahlungsarten"] == "Bargeld"


def test_export_portal_row(exported, mixed_orders):
    _response, _body, rows = exported
    online = [row for row in rows if row["Bestellnummer"] == mixed_orders["online"].code]

    assert {row["Verkaufsstelle"] for row in online} == {"Online-Portal"}
    assert {row["Kanal"] for row in online} == {"Online-Portal"}
    assert {row["Zahlungsarten"] for row in online} == {"Online-Zahlung"}


def test_export_sums_match_totals(exported):
    _response, _body, rows = exported

    def cents(text: str) -> int:
        return int(text.replace(",", ""))

    assert sum(cents(row["Positionsbetrag brutto (EUR)"]) for row in rows) == 6800
    assert sum(cents(row["Umsatzsteuer (EUR)"]) for row in rows) == 436


def test_export_local_time(login, sell_at_pool):
    order = sell_at_pool()
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))

    _response, body = download(login("stadtkasse"), date_from="25.10.2026")

    assert parse(body)[0]["Datum und Uhrzeit (Europa/Berlin)"] == "25.10.2026 02:30:00"


def test_export_filename_names_range(login, sell_at_pool):
    response, _body = download(login("stadtkasse"), date_from="2026-03-01", date_to="31.03.2026")

    assert response["Content-Disposition"] == (
        'attachment; filename="journal_musterstadt_2026-03-01_2026-03-31.csv"'
    )


def test_export_guards_formulas(login, product, sell_at_pool):
    Product.objects.filter(slug="tageskarte").update(name='=HYPERLINK("x")')
    Product.objects.filter(slug="tageskarte").update(ledger_account="+441100")
    sell_at_pool()

    _response, body = download(login("stadtkasse"))
    (row,) = parse(body)

    assert row["Bezeichnung"] == '\'=HYPERLINK("x") – Erwachsene'
    assert row["Sachkonto"] == "'+441100"


def test_export_semicolon_in_text_quoted(login, sell_at_pool):
    Product.objects.filter(slug="tageskarte").update(name="Eintritt; Sauna")
    sell_at_pool()

    _response, body = download(login("stadtkasse"))

    assert '"Eintritt; Sauna – Erwachsene"' in body
    assert parse(body)[0]["Bezeichnung"] == "Eintritt; Sauna – Erwachsene"


def test_export_lines_end_with_crlf(exported):
    _response, body, _rows = exported

    assert body.count("\r\n") == 7


def test_export_batches_orders(demo, sell_at_pool, monkeypatch):
    from stadtkasse.backoffice import ledger

    monkeypatch.setattr(ledger, "EXPORT_BATCH_SIZE", 2)
    sold = {sell_at_pool().code for _ in range(5)}

    rows = parse("".join(export_csv(LedgerFilter(demo))))

    assert [row["Bestellnummer"] for row in rows if row["Bestellnummer"] in sold] == [
        order.code for order in Order.objects.order_by("created_at", "pk")
    ]


def test_export_operator_filter_keeps_its_lines(login, mixed_orders):
    from stadtkasse.core.models import Operator

    pool = Operator.objects.get(slug="hallenbad")
    _response, body = download(login("stadtkasse"), operator=str(pool.pk))

    assert {row["Betrieb"] for row in parse(body)} == {"Hallenbad Musterstadt"}
    assert len(parse(body)) == 3


def test_export_denied_to_cashier(login):
    assert login("kasse.hallenbad").get(EXPORT).status_code == 403


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+49", "'+49"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Tageskarte", "Tageskarte"),
        ("", ""),
    ],
)
def test_guard_formula(text, guarded):
    assert guard_formula(text) == guarded


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0,00"), (5, "0,05"), (123456, "1234,56"), (-250, "-2,50")]
)
def test_decimal_comma(cents, text):
    assert decimal_comma(cents) == text


@pytest.mark.parametrize(
    ("basis_points", "text"), [(1900, "19"), (700, "7"), (0, "0"), (550, "5,5"), (1905, "19,05")]
)
def test_percent(basis_points, text):
    assert percent(basis_points) == text
