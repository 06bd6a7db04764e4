from datetime import timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone

from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.payments.tests.test_receipts import page_text
from stadtkasse.sepa.girocode import epc_payload
from stadtkasse.sepa.notice import render_fee_notice_pdf
from stadtkasse.sepa.services import TRANSFER_DUE_DAYS, transfer_details
from stadtkasse.sepa.tests.conftest import place


def test_checkout_by_transfer_redirects_to_transfer_page(shop, product):
    response, payment = place(shop, product, "transfer")

    assert response.status_code == 302
    assert response.url == f"/ueberweisung/{payment.reference}/"
    assert payment.method == PaymentMethod.TRANSFER
    assert payment.state == PaymentState.PENDING


def test_transfer_keeps_the_order_open_past_the_due_date(transfer_payment):
    order = transfer_payment.order
    due = timezone.localdate(transfer_payment.created_at) + timedelta(days=TRANSFER_DUE_DAYS)

    assert order.state == OrderState.PENDING_PAYMENT
    assert timezone.localdate(order.expires_at) > due


def test_transfer_page_shows_the_details(shop, transfer_payment):
    order = transfer_payment.order
    due = timezone.localdate(transfer_payment.created_at) + timedelta(days=TRANSFER_DUE_DAYS)

    html = shop.get(f"/ueberweisung/{transfer_payment.reference}/").content.decode()

    assert "Stadtkasse Musterstadt" in html
    assert "DE02 1203 0000 0000 2020 51" in html
    assert "BYLADEM1001" in html
    assert "8,00\u00a0€" in html
    assert due.strftime("%d.%m.%Y") in html
    assert f'id="verwendungszweck">{order.kassenzeichen}<' in html
    assert f'src="/ueberweisung/{transfer_payment.reference}/girocode.png"' in html


def test_transfer_page_hidden_from_other_browsers(transfer_payment):
    response = Client().get(f"/ueberweisung/{transfer_payment.reference}/")

    assert response.status_code == 404
    assert "DE02 1203" not in response.content.decode()


def test_transfer_page_opens_with_the_order_link_token(transfer_payment):
    from stadtkasse.portal.services.access import order_token

    token = order_token(transfer_payment.order)

    response = Client().get(f"/ueberweisung/{transfer_payment.reference}/?token={token}")

    assert response.status_code == 200


def test_girocode_png_is_served(shop, transfer_payment):
    response = shop.get(f"/ueberweisung/{transfer_payment.reference}/girocode.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_girocode_payload_carries_the_kassenzeichen(transfer_payment):
    details = transfer_details(transfer_payment)

    fields = epc_payload(details.transfer_data).decode().split("\n")

    assert fields[5] == "Stadtkasse Musterstadt"
    assert fields[6] == "DE02120300000000202051"
    assert fields[7] == "EUR8.00"
    assert fields[10] == transfer_payment.order.kassenzeichen


def test_details_e_mail_goes_out_once_with_the_notice(shop, transfer_payment):
    shop.get(f"/ueberweisung/{transfer_payment.reference}/")
    shop.get(f"/ueberweisung/{transfer_payment.reference}/")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    order = transfer_payment.order
    assert message.subject == (
        f"Bitte überweisen Sie den Betrag für Ihre Bestellung {order.code} – Stadt Musterstadt"
    )
    assert "IBAN: DE02 1203 0000 0000 2020 51" in message.body
    assert f"Verwendungszweck (Kassenzeichen): {order.kassenzeichen}" in message.body
    assert message.attachments[0][0] == f"Zahlungsaufforderung-{order.code}.pdf"


def test_fee_notice_pdf_shows_the_transfer_data(transfer_payment):
    details = transfer_details(transfer_payment)

    text = page_text(render_fee_notice_pdf(details, compress=False))

    assert "Zahlungsaufforderung" in text
    assert "Stadtkasse Musterstadt" in text
    assert "DE02 1203 0000 0000 2020 51" in text
    assert "BYLADEM1001" in text
    assert "8,00 €" in text
    assert details.due_date.strftime("%d.%m.%Y") in text
    assert transfer_payment.order.kassenzeichen in text


def test_fee_notice_download(shop, transfer_payment):
    response = shop.get(f"/ueberweisung/{transfer_payment.reference}/zahlungsaufforderung.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_order_page_shows_transfer_details(shop, transfer_payment):
    order = transfer_payment.order

    html = shop.get(f"/bestellung/{order.code}/").content.decode()

    assert "Überweisungsdaten" in html
    assert "DE02 1203 0000 0000 2020 51" in html
    assert f"/ueberweisung/{transfer_payment.reference}/zahlungsaufforderung.pdf" in html


def test_transfer_not_offered_without_bank_account(demo):
    from stadtkasse.payments.providers import online_providers
    from stadtkasse.sepa.models import SepaSettings

    SepaSettings.objects.all().delete()

    offered = [provider.identifier for provider in online_providers()]
    assert "transfer" not in offered
    assert "sepa_debit" not in offered
