"""The portal page behind a payment link, and the whole way from the till to the paid order."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from stadtkasse.orders.models import Order, OrderState
from stadtkasse.paylinks.models import LinkState, PaymentLink
from stadtkasse.paylinks.services import cancel_link, create_link
from stadtkasse.paylinks.tests.conftest import new_token, post_link
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result
from stadtkasse.portal.tests.conftest import notification, signed_result

EXPIRED = "Dieser Zahlungslink ist abgelaufen. Bitte wenden Sie sich an die Kasse."


@pytest.fixture
def link(pool_till, pool_cashier, day_ticket_lines, demo_epay):
    created, _ = create_link(pool_till, pool_cashier, day_ticket_lines(2))
    return created


@pytest.fixture
def phone(demo_epay):
    """The citizen's phone: a browser with no session and no account."""
    return Client()


def page_of(phone: Client, link: PaymentLink):
    return phone.get(f"/zahlen/{link.token}/")


def start_payment(phone: Client, link: PaymentLink, provider: str = "demo"):
    phone.get(f"/zahlen/{link.token}/")
    return phone.post(f"/zahlen/{link.token}/", {"provider": provider})


def test_active_link_shows_what_is_paid(phone, link):
    response = page_of(phone, link)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Zahlung an Stadt Musterstadt" in content
    assert link.order.kassenzeichen_display in content
    assert "2 × Tageskarte Hallenbad – Erwachsene" in content
    assert "8,00\xa0€" in content
    assert "Demo-Bezahldienst (Testgeld)" in content
    assert timezone.localtime(link.expires_at).strftime("%d.%m.%Y, %H:%M") in content


def test_expired_link_gone(phone, link):
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = page_of(phone, link)

    assert response.status_code == 410
    assert EXPIRED in response.content.decode()
    assert Order.objects.get(pk=link.order_id).state == OrderState.EXPIRED


def test_canceled_link_gone(phone, link, pool_cashier):
    cancel_link(link, user=pool_cashier)

    response = page_of(phone, link)

    assert response.status_code == 410
    assert (
        "Dieser Zahlungslink wurde von der Kasse zurückgezogen. "
        "Bitte wenden Sie sich an die Kasse." in response.content.decode()
    )


def test_unknown_link_not_found(phone, demo):
    response = phone.get("/zahlen/gibt-es-nicht/")

    assert response.status_code == 404
    assert (
        "Diesen Zahlungslink gibt es nicht. Bitte prüfen Sie die Adresse oder wenden Sie "
        "sich an die Kasse." in response.content.decode()
    )


def test_paid_link_says_paid(phone, link):
    start_payment(phone, link)
    payment = Payment.objects.get()
    apply_provider_result(
        ProviderResult(str(payment.reference), PaymentState.CONFIRMED, amount_cents=800),
        cause="test",
    )

    response = page_of(phone, link)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Dieser Zahlungslink ist bezahlt. Sie müssen nichts weiter tun." in content
    assert 'name="provider"' not in content


def test_choosing_provider_redirects_to_platform(phone, link):
    response = start_payment(phone, link)

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/dev/epay/pay/?")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["reference"] == [str(payment.reference)]
    assert query["return_url"] == [f"http://testserver/zahlung/{payment.reference}/zurueck/"]
    assert query["notify_url"] == ["http://testserver/zahlung/benachrichtigung/demo/"]
    assert payment.order == link.order


def test_unknown_provider_rejected(phone, link):
    response = start_payment(phone, link, provider="nirgendwo")

    assert response.status_code == 400
    assert Payment.objects.count() == 0


def test_post_to_expired_link_starts_nothing(phone, link):
    phone.get(f"/zahlen/{link.token}/")
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = phone.post(f"/zahlen/{link.token}/", {"provider": "demo"})

    assert response.status_code == 410
    assert Payment.objects.count() == 0


def test_link_opens_no_order_page_before_payment(phone, link):
    page_of(phone, link)

    response = phone.get(f"/bestellung/{link.order.code}/")

    assert response.status_code == 404


def test_full_flow_from_till_to_paid_order(till_client, pool_till, day_ticket_lines, demo_epay):
    till = till_client("kasse.hallenbad")
    phone = Client()

    created = post_link(
        till, pool_till, {"token": new_token(), "lines": day_ticket_lines(2, as_json=True)}
    ).json()
    link_path = urlsplit(created["url"]).path
    assert phone.get(link_path).status_code == 200
    redirect = phone.post(link_path, {"provider": "demo"})
    assert redirect.status_code == 302
    waiting = till.get(created["status_url"]).json()

    payment = Payment.objects.get()
    body, headers = notification(payment, "paid")
    notified = Client().post(
        "/zahlung/benachrichtigung/demo/", data=body, content_type="application/json", **headers
    )
    returned = phone.get(
        f"/zahlung/{payment.reference}/zurueck/", signed_result(payment, "paid"), follow=True
    )
    paid = till.get(created["status_url"]).json()

    order = Order.objects.get()
    assert waiting["state"] == "active"
    assert notified.status_code == 200
    assert returned.status_code == 200
    assert returned.redirect_chain[-1][0] == f"/bestellung/{order.code}/"
    assert paid["state"] == "paid"
    assert order.state == OrderState.PAID
    assert order.channel == "counter"
    assert order.point_of_sale == pool_till
    assert order.cashier.username == "kasse.hallenbad"
    assert PaymentLink.objects.get().state == LinkState.PAID
    assert phone.get(link_path).status_code == 200


def test_transfer_not_offered_on_link(phone, link):
    response = start_payment(phone, link, provider="transfer")

    content = page_of(phone, link).content.decode()
    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert 'value="transfer"' not in content
    assert 'value="sepa_debit"' not in content
