"""The till's payment link endpoints: create, status polling, cancel, and who may use them."""

import pytest

from stadtkasse.orders.models import Order, OrderState
from stadtkasse.paylinks.models import LinkState, PaymentLink
from stadtkasse.paylinks.tests.conftest import csrf_header, new_token, post_link
from stadtkasse.payments.models import PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment


@pytest.fixture
def pool(till_client):
    return till_client("kasse.hallenbad")


def link_request(lines, token=None, **extra) -> dict:
    return {"token": token or new_token(), "lines": lines, **extra}


def status_of(client, body: dict):
    return client.get(body["status_url"])


def pay(order: Order) -> None:
    payment, _url = start_online_payment(
        order, provider_id="demo", return_url="http://127.0.0.1/r/__REF__/", notify_url=""
    )
    apply_provider_result(
        ProviderResult(str(payment.reference), PaymentState.CONFIRMED, amount_cents=800),
        cause="test",
    )


def test_create_returns_qr_code_and_link(pool, pool_till, day_ticket_lines):
    response = post_link(pool, pool_till, link_request(day_ticket_lines(2, as_json=True)))

    assert response.status_code == 201
    body = response.json()
    link = PaymentLink.objects.get()
    assert body["url"] == f"http://testserver/zahlen/{link.token}/"
    assert body["qr_code"].startswith("data:image/svg+xml")
    assert body["state"] == "active"
    assert body["total_cents"] == 800
    assert body["total"] == "8,00\xa0€"
    assert body["order"] == link.order.code
    assert body["kassenzeichen"] == link.order.kassenzeichen_display
    assert 0 < body["seconds_left"] <= 900


def test_create_with_validity(pool, pool_till, day_ticket_lines):
    response = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True), minutes=60))

    assert response.status_code == 201
    assert 15 * 60 < response.json()["seconds_left"] <= 60 * 60


def test_same_token_answers_same_link(pool, pool_till, day_ticket_lines):
    body = link_request(day_ticket_lines(as_json=True))

    first = post_link(pool, pool_till, body)
    again = post_link(pool, pool_till, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["url"] == first.json()["url"]
    assert PaymentLink.objects.count() == 1


def test_create_with_bad_validity_rejected(pool, pool_till, day_ticket_lines):
    response = post_link(
        pool, pool_till, link_request(day_ticket_lines(as_json=True), minutes=2000)
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Die Gültigkeit „2000“ ist nicht möglich. "
        "Bitte wählen Sie eine ganze Zahl von 1 bis 1440 Minuten."
    )
    assert Order.objects.count() == 0


def test_create_with_empty_sale_rejected(pool, pool_till):
    response = post_link(pool, pool_till, link_request([]))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_sale"
    assert Order.objects.count() == 0


def test_create_with_broken_json_rejected(pool, pool_till):
    response = post_link(pool, pool_till, raw=b"{not json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Der Verkauf konnte nicht gelesen werden. Bitte laden Sie die Seite neu und "
        "versuchen Sie es noch einmal."
    )


def test_create_without_csrf_header_rejected(pool, pool_till, day_ticket_lines):
    import json

    response = pool.post(
        f"/kasse/{pool_till.pk}/zahlungslink",
        data=json.dumps(link_request(day_ticket_lines(as_json=True))),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_create_signed_out_rejected(client, demo, pool_till, day_ticket_lines):
    response = client.post(
        f"/kasse/{pool_till.pk}/zahlungslink",
        data=link_request(day_ticket_lines(as_json=True)),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_signed_in"


def test_create_at_other_till_rejected(till_client, pool_till, day_ticket_lines):
    office_cashier = till_client("kasse.buergerbuero")

    response = post_link(office_cashier, pool_till, link_request(day_ticket_lines(as_json=True)))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Order.objects.count() == 0


def test_create_without_sell_right_rejected(till_client, pool_till, day_ticket_lines):
    treasury = till_client("stadtkasse")

    response = post_link(treasury, pool_till, link_request(day_ticket_lines(as_json=True)))

    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_status_before_and_after_payment(pool, pool_till, day_ticket_lines):
    body = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True))).json()

    before = status_of(pool, body)
    pay(PaymentLink.objects.get().order)
    after = status_of(pool, body)

    order = PaymentLink.objects.get().order
    assert before.status_code == 200
    assert before.json()["state"] == "active"
    assert "receipt_url" not in before.json()
    assert after.json()["state"] == "paid"
    assert after.json()["message"] == f"Online bezahlt. Die Bestellung {order.code} ist bezahlt."
    assert after.json()["receipt_url"] == f"/kasse/beleg/{order.code}/"
    assert after.json()["receipt_pdf_url"] == f"/kasse/beleg/{order.code}.pdf"
    assert after["Cache-Control"].startswith("max-age=0")


def test_status_at_other_till_not_found(till_client, pool_till, office_counter, day_ticket_lines):
    pool = till_client("kasse.hallenbad")
    supervisor = till_client("aufsicht")
    body = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True))).json()

    response = supervisor.get(f"/kasse/{office_counter.pk}/zahlungslink/{body['id']}/status")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "Dieser Zahlungslink wurde an dieser Kasse nicht gefunden. Bitte laden Sie die Seite neu."
    )


def test_status_for_other_cashier_rejected(till_client, pool_till, day_ticket_lines):
    pool = till_client("kasse.hallenbad")
    office_cashier = till_client("kasse.buergerbuero")
    body = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True))).json()

    response = office_cashier.get(body["status_url"])

    assert response.status_code == 403


def test_cancel_endpoint(pool, pool_till, day_ticket_lines):
    body = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True))).json()

    response = pool.post(body["cancel_url"], headers=csrf_header(pool, pool_till))

    assert response.status_code == 200
    assert response.json()["state"] == "canceled"
    assert response.json()["message"] == (
        "Der Zahlungslink wurde zurückgezogen, es wurde nichts bezahlt. "
        "Bitte kassieren Sie anders oder erstellen Sie einen neuen Link."
    )
    assert PaymentLink.objects.get().state == LinkState.CANCELED
    assert Order.objects.get().state == OrderState.CANCELED


def test_cancel_paid_link_conflict(pool, pool_till, day_ticket_lines):
    body = post_link(pool, pool_till, link_request(day_ticket_lines(as_json=True))).json()
    pay(PaymentLink.objects.get().order)

    response = pool.post(body["cancel_url"], headers=csrf_header(pool, pool_till))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "link_paid"
    assert Order.objects.get().state == OrderState.PAID


def test_sale_screen_offers_payment_link(pool, pool_till):
    response = pool.get(f"/kasse/{pool_till.pk}/")

    content = response.content.decode()
    assert 'id="pay-link"' in content
    assert "Zahlungslink (QR-Code)" in content
    assert f'data-create-url="/kasse/{pool_till.pk}/zahlungslink"' in content
    assert "counter/paylink.js" in content
