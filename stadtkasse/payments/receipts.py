"""The receipt (Beleg) of an order: its data once, shown as HTML and as a PDF.

``receipt_context`` gathers and formats everything a receipt shows; the HTML receipt of
the counter and the portal and ``render_receipt_pdf`` both read it, so that no amount is
computed twice. The PDF uses reportlab's built-in Helvetica, whose WinAnsi encoding holds
€, umlauts, ß and German quotation marks; characters outside it are replaced (see
``_pdf_text``), so a product name never breaks the document.
"""

import io
import logging
import unicodedata
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from stadtkasse.catalog.models import VatTreatment
from stadtkasse.core.channels import Channel
from stadtkasse.core.money import format_cents
from stadtkasse.orders.answers import answer_text
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import vat_totals
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState

logger = logging.getLogger(__name__)

BERLIN = ZoneInfo("Europe/Berlin")

# Short marks that tie a receipt line to its row in the VAT table, as on German receipts.
VAT_MARKS = {
    VatTreatment.STANDARD: "A",
    VatTreatment.REDUCED: "B",
    VatTreatment.ZERO: "C",
    VatTreatment.NOT_TAXABLE: "D",
}


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _load(order: Order) -> tuple[list, list]:
    """Fetch the lines (with their operators) and the confirmed payments of an order."""
    lines = list(order.lines.select_related("operator").order_by("pk"))
    payments = list(
        Payment.objects.filter(order=order, state=PaymentState.CONFIRMED).order_by(
            "confirmed_at", "pk"
        )
    )
    return lines, payments


def receipt_context(order: Order) -> dict:
    """Return what a receipt shows, formatted for people (German by default).

    Amounts come as ``*_cents`` integers and as formatted strings side by side. The
    order's municipality and point of sale should be loaded with ``select_related``.
    """
    lines, payments = _load(order)
    municipality = order.municipality
    point_of_sale = order.point_of_sale

    operators, seen = [], set()
    for line in lines:
        if line.operator_id in seen:
            continue
        seen.add(line.operator_id)
        operators.append(
            {
                "name": line.operator.name,
                "address_lines": _lines_of(line.operator.address),
                "vat_id": line.operator.vat_id,
            }
        )

    moment = order.paid_at or order.created_at or timezone.now()
    local = timezone.localtime(moment, BERLIN)
    method_labels = dict(PaymentMethod.choices)
    vat_labels = dict(VatTreatment.choices)

    receipt_lines = [
        {
            "quantity": line.quantity,
            "description": line.description,
            "unit_price_cents": line.unit_price_cents,
            "unit_price": format_cents(line.unit_price_cents),
            "total_cents": line.total_cents,
            "total": format_cents(line.total_cents),
            "vat_treatment": line.vat_treatment,
            "vat_label": str(vat_labels.get(line.vat_treatment, line.vat_treatment)),
            "vat_mark": VAT_MARKS.get(line.vat_treatment, ""),
            "operator": line.operator.name,
            "answers": [
                {"label": answer.get("label", key), "value": answer_text(answer.get("value", ""))}
                for key, answer in (line.answers or {}).items()
                if isinstance(answer, dict)
            ],
        }
        for line in lines
    ]
    totals = [
        {
            "vat_treatment": total.vat_treatment,
            "vat_mark": VAT_MARKS.get(total.vat_treatment, ""),
            "vat_label": str(vat_labels.get(total.vat_treatment, total.vat_treatment)),
            "vat_rate": total.vat_rate,
            "net_cents": total.net_cents,
            "net": format_cents(total.net_cents),
            "vat_cents": total.vat_cents,
            "vat": format_cents(total.vat_cents),
            "gross_cents": total.gross_cents,
            "gross": format_cents(total.gross_cents),
        }
        for total in vat_totals(lines)
    ]
    payment_rows = [
        {
            "method": payment.method,
            "method_label": (
                _("Card (external terminal)")
                if payment.method == PaymentMethod.CARD_EXTERNAL
                else str(method_labels.get(payment.method, payment.method))
            ),
            "amount_cents": payment.amount_cents,
            "amount": format_cents(payment.amount_cents),
            "tendered_cents": payment.tendered_cents,
            "tendered": (
                format_cents(payment.tendered_cents) if payment.tendered_cents is not None else ""
            ),
            "change_cents": payment.change_cents,
            "change": (
                format_cents(payment.change_cents) if payment.change_cents is not None else ""
            ),
        }
        for payment in payments
    ]

    return {
        "labels": receipt_labels(),
        "order": order,
        "code": order.code,
        "kassenzeichen": order.kassenzeichen_display,
        "is_paid": order.state == OrderState.PAID,
        "state": order.state,
        "state_label": order.get_state_display(),
        "title": (
            pgettext("receipt", "Receipt")
            if order.state == OrderState.PAID
            else pgettext("receipt", "Order summary")
        ),
        "municipality": {
            "name": municipality.name,
            "address_lines": _lines_of(municipality.address),
            "phone": municipality.phone,
            "email": municipality.email,
        },
        "operators": operators,
        "date": local.strftime("%d.%m.%Y"),
        "time": local.strftime("%H:%M"),
        "datetime": local,
        "channel": order.channel,
        "channel_label": str(dict(Channel.choices).get(order.channel, order.channel)),
        "point_of_sale": str(point_of_sale) if point_of_sale else "",
        "cashier": (order.cashier.get_short_name() or order.cashier.get_username())
        if order.cashier_id and order.cashier
        else "",
        "lines": receipt_lines,
        "vat_totals": totals,
        "total_cents": order.total_cents,
        "total": format_cents(order.total_cents),
        "payments": payment_rows,
        "not_taxable_note": (
            _("Sovereign services of the municipality are outside the scope of VAT (§ 2b UStG).")
            if any(t["vat_treatment"] == VatTreatment.NOT_TAXABLE for t in totals)
            else ""
        ),
        "footer": [
            _("Thank you for your visit. Please keep this receipt."),
            _("Please quote the Kassenzeichen when you contact us about this purchase."),
        ],
        "unpaid_note": (
            ""
            if order.state == OrderState.PAID
            else _("This order has not been paid yet. This is not a receipt of payment.")
        ),
    }


def receipt_labels() -> dict[str, str]:
    """Return the headings of a receipt in the active language."""
    # A context keeps these short words apart from the same words elsewhere ("Change" is
    # "Ändern" in the admin, "Rückgeld" here).
    return {
        "date": pgettext("receipt", "Date"),
        "code": pgettext("receipt", "Order code"),
        "kassenzeichen": _("Kassenzeichen"),
        "channel": pgettext("receipt", "Channel"),
        "point_of_sale": pgettext("receipt", "Point of sale"),
        "cashier": pgettext("receipt", "Cashier"),
        "quantity": pgettext("receipt", "Qty"),
        "description": pgettext("receipt", "Description"),
        "unit_price": pgettext("receipt", "Unit price"),
        "amount": pgettext("receipt", "Amount"),
        "vat": pgettext("receipt", "VAT"),
        "total": pgettext("receipt", "Total"),
        "net": pgettext("receipt", "Net"),
        "vat_amount": pgettext("receipt", "VAT amount"),
        "gross": pgettext("receipt", "Gross"),
        "payment": pgettext("receipt", "Payment"),
        "tendered": pgettext("receipt", "Cash given"),
        "change": pgettext("receipt", "Change"),
    }


def load_order_for_receipt(code: str):
    """Return the order with this code, with what a receipt needs, or None."""
    return (
        Order.objects.select_related(
            "municipality", "point_of_sale", "point_of_sale__operator", "cashier"
        )
        .filter(code=code)
        .first()
    )


# Characters outside WinAnsi that have no decomposition into one inside it.
_PDF_REPLACEMENTS = {
    "\u2212": "-",
    "\u2011": "-",
    "\u2010": "-",
    "\u202f": " ",
    "\u2009": " ",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
}


def _pdf_text(text: str) -> str:
    """Make text printable with Helvetica: keep WinAnsi characters, replace the rest."""
    out = []
    for char in str(text):
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            replacement = _PDF_REPLACEMENTS.get(char)
            if replacement is None:
                decomposed = unicodedata.normalize("NFKD", char)
                replacement = (
                    "".join(c for c in decomposed if c.isascii() and not unicodedata.combining(c))
                    or "?"
                )
            out.append(replacement)
    return "".join(out)


def _escape(text: str) -> str:
    """Escape text for a reportlab Paragraph (its markup is XML-like)."""
    return _pdf_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_receipt_pdf(order: Order, *, compress: bool = True) -> bytes:
    """Render the receipt of an order as an A4 PDF and return its bytes.

    ``compress=False`` leaves the page streams readable, which tests use to find text.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    data = receipt_context(order)
    label = data["labels"]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_pdf_text(f"{data['title']} {data['code']}"),
        author=_pdf_text(data["municipality"]["name"]),
        pageCompression=1 if compress else 0,
        invariant=not compress,
    )
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor="#333333")
    heading = ParagraphStyle(
        "heading", parent=body, fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=2
    )
    bold = ParagraphStyle("bold", parent=body, fontName="Helvetica-Bold")
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    right_bold = ParagraphStyle("right_bold", parent=bold, alignment=TA_RIGHT)

    def p(text, style=body):
        return Paragraph(_escape(text), style)

    # The frame keeps 6 pt padding on each side; tables fill the rest.
    width = doc.width - 12
    flush = [("LEFTPADDING", (0, 0), (0, -1), 0), ("RIGHTPADDING", (-1, 0), (-1, -1), 0)]
    story = []

    # Issuer: the municipality, and the operators that sold the lines.
    town = data["municipality"]
    issuer = [p(town["name"], bold)] + [p(line, small) for line in town["address_lines"]]
    contact = " · ".join(x for x in (town["phone"], town["email"]) if x)
    if contact:
        issuer.append(p(contact, small))
    sellers = []
    for index, operator in enumerate(data["operators"]):
        if index:
            sellers.append(Spacer(1, 3 * mm))
        sellers.append(p(operator["name"], bold))
        sellers.extend(p(line, small) for line in operator["address_lines"])
        if operator["vat_id"]:
            sellers.append(p(_("VAT ID: %(vat_id)s") % {"vat_id": operator["vat_id"]}, small))
    top = Table([[issuer, sellers]], colWidths=[width / 2, width / 2])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *flush]))
    story += [top, Spacer(1, 8 * mm), p(data["title"], heading)]
    if data["unpaid_note"]:
        story.append(p(data["unpaid_note"], bold))
    story.append(Spacer(1, 3 * mm))

    # Facts of the sale.
    facts = [
        (
            label["date"],
            _("%(date)s, %(time)s") % {"date": data["date"], "time": data["time"]},
        ),
        (label["code"], data["code"]),
        (label["kassenzeichen"], data["kassenzeichen"]),
        (label["channel"], data["channel_label"]),
    ]
    if data["point_of_sale"]:
        facts.append((label["point_of_sale"], data["point_of_sale"]))
    if data["cashier"]:
        facts.append((label["cashier"], data["cashier"]))
    fact_table = Table(
        [[p(label, small), p(value, bold)] for label, value in facts],
        colWidths=[40 * mm, width - 40 * mm],
        hAlign="LEFT",
    )
    fact_table.setStyle(
        TableStyle(
            [
                *flush,
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    story += [fact_table, Spacer(1, 6 * mm)]

    # The lines.
    header = [
        p(label["quantity"], right_bold),
        p(label["description"], bold),
        p(label["unit_price"], right_bold),
        p(label["amount"], right_bold),
        p(label["vat"], bold),
    ]
    rows = [header]
    for line in data["lines"]:
        description = [p(line["description"])]
        for answer in line["answers"]:
            description.append(p(f"{answer['label']}: {answer['value']}", small))
        rows.append(
            [
                p(str(line["quantity"]), right),
                description,
                p(line["unit_price"], right),
                p(line["total"], right),
                p(line["vat_mark"]),
            ]
        )
    rows.append(["", p(label["total"], bold), "", p(data["total"], right_bold), ""])
    line_table = Table(
        rows,
        colWidths=[
            16 * mm,
            width - 16 * mm - 28 * mm - 28 * mm - 14 * mm,
            28 * mm,
            28 * mm,
            14 * mm,
        ],
        repeatRows=1,
    )
    line_table.setStyle(
        TableStyle(
            [
                *flush,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -3), 0.25, colors.HexColor("#999999")),
            ]
        )
    )
    story += [line_table, Spacer(1, 6 * mm)]

    # VAT per treatment: net, VAT, gross.
    vat_rows = [
        [
            p(label["vat"], bold),
            p(label["net"], right_bold),
            p(label["vat_amount"], right_bold),
            p(label["gross"], right_bold),
        ]
    ]
    for total in data["vat_totals"]:
        vat_rows.append(
            [
                p(f"{total['vat_mark']}  {total['vat_label']}"),
                p(total["net"], right),
                p(total["vat"], right),
                p(total["gross"], right),
            ]
        )
    vat_table = Table(vat_rows, colWidths=[width - 3 * 30 * mm, 30 * mm, 30 * mm, 30 * mm])
    vat_table.setStyle(
        TableStyle(
            [
                *flush,
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(KeepTogether([vat_table]))
    if data["not_taxable_note"]:
        story += [Spacer(1, 1.5 * mm), p(data["not_taxable_note"], small)]
    story.append(Spacer(1, 6 * mm))

    # Payments.
    if data["payments"]:
        pay_rows = [[p(label["payment"], bold), p(label["amount"], right_bold)]]
        for payment in data["payments"]:
            pay_rows.append([p(payment["method_label"]), p(payment["amount"], right)])
            if payment["tendered"]:
                pay_rows.append([p(label["tendered"], small), p(payment["tendered"], right)])
            if payment["change"]:
                pay_rows.append([p(label["change"], small), p(payment["change"], right)])
        pay_table = Table(pay_rows, colWidths=[width - 30 * mm, 30 * mm])
        pay_table.setStyle(TableStyle([*flush, ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black)]))
        story += [KeepTogether([pay_table]), Spacer(1, 8 * mm)]

    story += [p(text, small) for text in data["footer"]]

    doc.build(story)
    pdf = buffer.getvalue()
    logger.info("receipt pdf rendered: order=%s bytes=%d", order.code, len(pdf))
    return pdf
