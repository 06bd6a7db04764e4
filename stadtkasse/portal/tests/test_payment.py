from datetime import timedelta

from django.utils import timezone

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import expire_overdue_orders
from stadtkasse.payments.models import ClarificationReason, Payment, PaymentState
from stadtkasse.portal.tests.conftest import add, checkout, notification, signed_result

ADULT = "Erwachsene"
NOTIFY_URL = "/zahlung/benachrichtigung/demo/"


def start(shop, product):
    add(shop, product("tageskarte"), ADULT, 2)
    checkout(shop)
    return Payment.objects.get()


def back(shop, payment, status, **extra):
    return shop.get(
        f"/zahlung/{payment.reference}/zurueck/",
        signed_result(payment, status, **extra),
        follow=True,
    )


def test_paid_return_marks_order_paid_and_mails_once(shop, product, mailoutbox):
    payment = start(shop, product)

    response = back(shop, payment, "paid")

    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == f"/bestellung/{order.code}/"
    assert order.state == OrderState.PAID
    assert (
        f"Vielen Dank, Ihre Zahlung ist eingegangen. Die Bestellung {order.code} ist bezahlt."
    ) in response.content.decode()
    assert order.kassenzeichen_display in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["gast@example.de"]
    assert order.code in mail.subject
    assert order.kassenzeichen_display in mail.body
    assert "7 % USt.: netto 7,48\u00a0€, USt. 0,52\u00a0€, brutto 8,00\u00a0€" in mail.body
    assert f"http://testserver/bestellung/{order.code}/?token=" in mail.body
    assert mail.attachments[0][0] == f"Beleg-{order.code}.pdf"
    assert mail.attachments[0][1].startswith(b"%PDF")


def test_reload_of_return_pays_once(shop, product, mailoutbox):
    payment = start(shop, product)

    back(shop, payment, "paid")
    response = back(shop, payment, "paid")

    assert response.status_code == 200
    assert Order.objects.get().state == OrderState.PAID
    assert Payment.objects.get().state == PaymentState.CONFIRMED
    assert len(mailoutbox) == 1


def test_notification_and_return_send_one_mail(shop, product, mailoutbox):
    payment = start(shop, product)
    body, headers = notification(payment, "paid")

    answer = shop.post(NOTIFY_URL, body, content_type="application/json", **headers)
    again = shop.post(NOTIFY_URL, body, content_type="application/json", **headers)
    back(shop, payment, "paid")

    assert answer.status_code == 200
    assert answer.json()["state"] == "confirmed"
    assert again.status_code == 200
    assert Order.objects.get().state == OrderState.PAID
    assert len(mailoutbox) == 1
    assert AuditLogEntry.objects.filter(action="order.confirmation_sent").count() == 1


def test_canceled_payment_can_be_retried(shop, product):
    payment = start(shop, product)

    response = back(shop, payment, "canceled")

    order = Order.objects.get()
    html = response.content.decode()
    assert order.state == OrderState.PENDING_PAYMENT
    assert f"Sie haben die Zahlung abgebrochen. Die Bestellung {order.code}" in html
    assert "Jetzt bezahlen" in html

    retry = shop.post(f"/bestellung/{order.code}/bezahlen/", {"provider": "demo"})
    assert retry.status_code == 302
    assert retry.url.startswith("/dev/epay/pay/")
    assert Payment.objects.filter(state=PaymentState.PENDING).count() == 1


def test_failed_payment_shows_message(shop, product):
    payment = start(shop, product)

    response = back(shop, payment, "failed")

    order = Order.objects.get()
    assert order.state == OrderState.PENDING_PAYMENT
    assert (
        f"Die Zahlung ist fehlgeschlagen, die Bestellung {order.code} ist daher noch nicht bezahlt."
    ) in response.content.decode()


def test_cancel_after_payment_changes_nothing(shop, product):
    payment = start(shop, product)
    back(shop, payment, "paid")

    response = back(shop, payment, "canceled")

    assert Order.objects.get().state == OrderState.PAID
    assert "ist bezahlt" in response.content.decode()


def test_tampered_return_changes_nothing(shop, product):
    payment = start(shop, product)
    params = signed_result(payment, "paid")
    params["amount"] = "1"

    response = shop.get(f"/zahlung/{payment.reference}/zurueck/", params, follow=True)

    assert Order.objects.get().state == OrderState.PENDING_PAYMENT
    assert "liegt noch nicht vor" in response.content.decode()


def test_payment_after_expiry_is_flagged(shop, product, mailoutbox):
    payment = start(shop, product)
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()

    response = back(shop, payment, "paid")

    payment.refresh_from_db()
    order = Order.objects.get()
    assert order.state == OrderState.EXPIRED
    assert payment.state == PaymentState.CONFIRMED
    assert payment.needs_clarification
    assert payment.clarification_reason == ClarificationReason.ORDER_NOT_PAYABLE
    assert (
        f"Ihre Zahlung ist eingegangen, aber die Bestellung {order.code} war zu diesem "
        "Zeitpunkt bereits abgelaufen. Die Stadtkasse erstattet Ihnen den Betrag oder "
        "meldet sich bei Ihnen."
    ) in response.content.decode()
    assert mailoutbox == []


def test_overdue_order_cannot_be_paid_again(shop, product):
    start(shop, product)
    order = Order.objects.get()
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = shop.post(f"/bestellung/{order.code}/bezahlen/", {"provider": "demo"}, follow=True)

    assert Order.objects.get().state == OrderState.EXPIRED
    assert (
        f"Die Bestellung {order.code} kann nicht mehr bezahlt werden, weil die Zahlungsfrist "
        "abgelaufen ist."
    ) in response.content.decode()
    assert Payment.objects.count() == 1


def test_second_payment_of_paid_order_is_flagged(shop, product, mailoutbox):
    first = start(shop, product)
    back(shop, first, "canceled")
    order = Order.objects.get()
    shop.post(f"/bestellung/{order.code}/bezahlen/", {"provider": "demo"})
    second = Payment.objects.get(state=PaymentState.PENDING)
    back(shop, second, "paid")

    late = Payment.objects.create(
        order=order,
        method="epay",
        provider="demo",
        amount_cents=order.total_cents,
        state=PaymentState.PENDING,
    )
    body, headers = notification(late, "paid")
    answer = shop.post(NOTIFY_URL, body, content_type="application/json", **headers)

    late.refresh_from_db()
    assert answer.status_code == 200
    assert answer.json()["needs_clarification"] is True
    assert late.clarification_reason == ClarificationReason.ALREADY_PAID
    assert len(mailoutbox) == 1


def test_notification_with_bad_signature_is_400(shop, product):
    payment = start(shop, product)
    body, _headers = notification(payment, "paid")

    answer = shop.post(
        NOTIFY_URL, body, content_type="application/json", HTTP_X_DEMO_EPAY_SIGNATURE="0" * 64
    )

    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid notification"}
    assert Order.objects.get().state == OrderState.PENDING_PAYMENT


def test_notification_for_unknown_payment_is_404(shop, product, caplog):
    payment = start(shop, product)
    payment.reference = "00000000-0000-4000-8000-000000000000"
    body, headers = notification(payment, "paid")

    answer = shop.post(NOTIFY_URL, body, content_type="application/json", **headers)

    assert answer.status_code == 404
    assert answer.json() == {"error": "unknown payment reference"}
    assert "notification from demo for unknown payment" in caplog.text


def test_notification_for_unknown_provider_is_404(shop):
    answer = shop.post("/zahlung/benachrichtigung/paypal/", b"{}", content_type="application/json")

    assert answer.status_code == 404


def test_notification_needs_post(shop):
    assert shop.get(NOTIFY_URL).status_code == 405


def test_return_for_unknown_payment_is_404(shop):
    response = shop.get("/zahlung/00000000-0000-4000-8000-000000000000/zurueck/")

    assert response.status_code == 404
