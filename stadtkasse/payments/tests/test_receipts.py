"""The receipt data and its PDF."""

import re
from datetime import UTC, datetime

import pytest

from stadtkasse.counter.services import sell
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import PaymentMethod
from stadtkasse.payments.receipts import receipt_context, render_receipt_pdf


def _unescape(literal: bytes) -> bytes:
    """Undo the escapes of a PDF string literal: octal codes and escaped characters."""
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit() else m[1],
        literal,
    )


def page_text(pdf: bytes) -> str:
    """Return the strings drawn on the pages of an uncompressed reportlab PDF."""
    # Paragraphs draw a no-break space as a plain space.
    return "\n".join(
        _unescape(literal).decode("cp1252").replace("\u00a0", " ")
        for literal in re.findall(rb"\((.*?)(?<!\\)\) Tj", pdf)
    )


@pytest.fixture
def mixed_sale(demo, office_counter, product):
    """A Bürgerbüro sale with a taxable photo (19 %) and two certificates (§ 2b UStG)."""
    from django.contrib.auth import get_user_model

    cashier = get_user_model().objects.get(username="kasse.buergerbuero")
    photo = product("passfoto")
    certificate = product("meldebescheinigung")
    return sell(
        office_counter,
        cashier,
        [LineRequest(photo.pk, None, 1), LineRequest(certificate.pk, None, 2)],
        method=PaymentMethod.CASH,
        tendered_cents=2000,
    )


@pytest.fixture
def pool_sale(pool_till, pool_cashier, product):
    ticket = product("tageskarte")
    adult = ticket.variants.get(name="Erwachsene")
    return sell(
        pool_till,
        pool_cashier,
        [LineRequest(ticket.pk, adult.pk, 2)],
        method=PaymentMethod.CASH,
        tendered_cents=1000,
    )


def test_pdf_is_a_pdf(mixed_sale):
    pdf = render_receipt_pdf(mixed_sale)

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_pdf_shows_kassenzeichen_and_order_code(mixed_sale):
    text = page_text(render_receipt_pdf(mixed_sale, compress=False))

    assert mixed_sale.kassenzeichen_display in text
    assert mixed_sale.code in text


def test_pdf_shows_issuer_lines_and_german_texts(pool_sale):
    text = page_text(render_receipt_pdf(pool_sale, compress=False))

    assert "Stadt Musterstadt" in text
    assert "Hallenbad Musterstadt" in text
    assert "USt-IdNr.: DE123456789" in text
    assert "Tageskarte Hallenbad – Erwachsene" in text
    assert "4,00 €" in text
    assert "8,00 €" in text
    assert "Gegeben\n10,00 €" in text
    assert "Rückgeld\n2,00 €" in text
    assert "Vielen Dank für Ihren Besuch. Bitte bewahren Sie diesen Beleg auf." in text


def test_vat_totals_of_a_mixed_order(mixed_sale):
    totals = {row["vat_treatment"]: row for row in receipt_context(mixed_sale)["vat_totals"]}

    # Passfoto 6,00 € at 19 %: 6,00 - 6,00 / 1,19 = 0,958 -> 0,96 €.
    assert totals["standard"]["gross_cents"] == 600
    assert totals["standard"]["vat_cents"] == 96
    assert totals["standard"]["net_cents"] == 504
    # Two Meldebescheinigungen at 5,00 € are outside the scope of VAT.
    assert totals["not_taxable"]["gross_cents"] == 1000
    assert totals["not_taxable"]["vat_cents"] == 0
    assert totals["not_taxable"]["net_cents"] == 1000
    assert list(totals) == ["standard", "not_taxable"]


def test_vat_totals_appear_in_the_pdf(mixed_sale):
    text = page_text(render_receipt_pdf(mixed_sale, compress=False))

    assert "A 19 % USt.\n5,04 €\n0,96 €\n6,00 €" in text
    assert "D Nicht steuerbar (§ 2b UStG)\n10,00 €\n0,00 €\n10,00 €" in text
    assert "Summe\n16,00 €" in text


def test_context_of_a_cash_sale(pool_sale):
    context = receipt_context(pool_sale)

    assert context["kassenzeichen"] == pool_sale.kassenzeichen_display
    assert context["is_paid"] is True
    assert context["title"] == "Beleg"
    assert context["channel_label"] == "Kasse"
    assert context["point_of_sale"] == "Hallenbad Musterstadt – Kasse"
    assert context["total"] == "8,00\u00a0€"
    assert [line["quantity"] for line in context["lines"]] == [2]
    assert context["lines"][0]["unit_price"] == "4,00\u00a0€"
    assert context["lines"][0]["vat_label"] == "7 % USt."
    payment = context["payments"][0]
    assert payment["method_label"] == "Bargeld"
    assert (payment["tendered"], payment["change"]) == ("10,00\u00a0€", "2,00\u00a0€")


def test_time_is_shown_in_berlin(pool_sale):
    # 23:30 UTC on 31 December is already 00:30 on 1 January in Berlin (winter time).
    pool_sale.paid_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)

    context = receipt_context(pool_sale)

    assert (context["date"], context["time"]) == ("01.01.2027", "00:30")


def test_summer_time_in_berlin(pool_sale):
    pool_sale.paid_at = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)

    assert receipt_context(pool_sale)["time"] == "12:00"


def test_characters_outside_winansi_do_not_break_the_pdf(pool_sale):
    line = pool_sale.lines.get()
    line.description = "Tageskarte \u2212 Spezial \u0141\u00f3d\u017a"
    line.save(update_fields=["description"])

    text = page_text(render_receipt_pdf(pool_sale, compress=False))

    assert "Tageskarte - Spezial Lódz" in text


def test_unpaid_portal_order_is_no_receipt(demo, product):
    from stadtkasse.orders.pricing import price_lines
    from stadtkasse.orders.services import create_order

    certificate = product("meldebescheinigung")
    lines = price_lines(demo, [LineRequest(certificate.pk, None, 1)], channel="portal")
    order = create_order(
        demo, lines, channel="portal", email="a@example.org", state="pending_payment"
    )

    context = receipt_context(order)
    text = page_text(render_receipt_pdf(order, compress=False))

    assert context["title"] == "Bestellübersicht"
    assert context["payments"] == []
    assert context["point_of_sale"] == ""
    assert "Online-Portal" in text
    assert "Diese Bestellung ist noch nicht bezahlt. Dies ist keine Zahlungsquittung." in text
