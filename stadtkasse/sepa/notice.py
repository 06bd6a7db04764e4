"""The fee notice (Zahlungsaufforderung) of an order paid by transfer, as an A4 PDF.

It shows the order lines, the account to pay to, the amount, the due date and the
Kassenzeichen as the remittance text, with the GiroCode drawn as vector squares. It
follows the layout of the receipt in ``stadtkasse.payments.receipts``.
"""

import io

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from stadtkasse.core.money import format_cents
from stadtkasse.payments.receipts import _pdf_text
from stadtkasse.sepa.girocode import make_girocode
from stadtkasse.sepa.services import TransferDetails

# Side of one QR module in points; 2.2 pt makes a version 6 code about 4 cm wide.
QR_MODULE_POINTS = 2.2


def _escape(text: str) -> str:
    return _pdf_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _girocode_drawing(details: TransferDetails):
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib import colors

    qr = make_girocode(details.transfer_data)
    rows = list(qr.matrix_iter(scale=1, border=4))
    size = len(rows) * QR_MODULE_POINTS
    drawing = Drawing(size, size)
    drawing.add(Rect(0, 0, size, size, fillColor=colors.white, strokeColor=None))
    for row_index, row in enumerate(rows):
        y = size - (row_index + 1) * QR_MODULE_POINTS
        for column_index, dark in enumerate(row):
            if dark:
                drawing.add(
                    Rect(
                        column_index * QR_MODULE_POINTS,
                        y,
                        QR_MODULE_POINTS,
                        QR_MODULE_POINTS,
                        fillColor=colors.black,
                        strokeColor=None,
                    )
                )
    return drawing


def render_fee_notice_pdf(details: TransferDetails, *, compress: bool = True) -> bytes:
    """Render the fee notice as an A4 PDF and return its bytes.

    ``compress=False`` leaves the page streams readable, which tests use to find text.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    order = details.payment.order
    town = order.municipality
    title = _("Request for payment")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_pdf_text(f"{title} {order.code}"),
        author=_pdf_text(town.name),
        pageCompression=1 if compress else 0,
        invariant=not compress,
    )
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor="#333333")
    bold = ParagraphStyle("bold", parent=body, fontName="Helvetica-Bold")
    heading = ParagraphStyle("heading", parent=bold, fontSize=16, leading=20, spaceAfter=2)

    def p(text, style=body):
        return Paragraph(_escape(text), style)

    width = doc.width - 12
    flush = [("LEFTPADDING", (0, 0), (0, -1), 0), ("RIGHTPADDING", (-1, 0), (-1, -1), 0)]
    story = [p(town.name, bold)]
    story += [p(line.strip(), small) for line in town.address.splitlines() if line.strip()]
    created = timezone.localtime(details.payment.created_at)
    story += [
        Spacer(1, 8 * mm),
        p(title, heading),
        p(
            _("Order %(code)s of %(date)s")
            % {"code": order.code, "date": date_format(created, "d.m.Y")},
            small,
        ),
        Spacer(1, 5 * mm),
    ]

    rows = [[p(_("Description"), bold), p(_("Amount"), bold)]]
    for line in order.lines.order_by("pk"):
        rows.append([p(f"{line.quantity} × {line.description}"), p(format_cents(line.total_cents))])
    rows.append([p(_("Total"), bold), p(details.amount, bold)])
    lines_table = Table(rows, colWidths=[width - 35 * mm, 35 * mm], hAlign="LEFT")
    lines_table.setStyle(
        TableStyle(
            [
                *flush,
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, "#000000"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, "#000000"),
            ]
        )
    )
    story += [lines_table, Spacer(1, 6 * mm)]

    story.append(
        p(
            _("Please transfer %(amount)s by %(date)s to the following account:")
            % {"amount": details.amount, "date": date_format(details.due_date, "d.m.Y")},
        )
    )
    story.append(Spacer(1, 3 * mm))
    facts = [
        (_("Payee"), details.payee_name),
        (_("IBAN"), details.iban_display),
        (_("BIC"), details.bic),
        (_("Bank"), details.bank_name),
        (_("Amount"), details.amount),
        (_("Due date"), date_format(details.due_date, "d.m.Y")),
        (_("Reference (Kassenzeichen)"), details.remittance_text),
    ]
    fact_rows = [[p(label, small), p(value, bold)] for label, value in facts if value]
    fact_table = Table(fact_rows, colWidths=[45 * mm, 70 * mm], hAlign="LEFT")
    fact_table.setStyle(TableStyle([*flush, ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    code_cell = [
        _girocode_drawing(details),
        p(_("GiroCode: scan it with your banking app."), small),
    ]
    layout = Table([[fact_table, code_cell]], colWidths=[width - 50 * mm, 50 * mm])
    layout.setStyle(TableStyle([*flush, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [layout, Spacer(1, 6 * mm)]
    story.append(
        p(
            _(
                "Please enter only the Kassenzeichen %(kassenzeichen)s as the reference, so "
                "that we can match your payment automatically."
            )
            % {"kassenzeichen": details.remittance_text},
            small,
        )
    )
    doc.build(story)
    return buffer.getvalue()
