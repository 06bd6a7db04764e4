"""The till's terminal endpoints over HTTP, with the simulator as the terminal."""

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stadtkasse.orders.models import Order, OrderState

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier_client(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="kasse.hallenbad"))
    return client


@pytest.fixture
def sale_body(product):
    ticket = product("tageskarte")
    adult = ticket.variants.get(name="Erwachsene")
    return {
        "token": str(uuid.uuid4()),
        "method": "card_terminal",
        "lines": [{"product": ticket.pk, "variant": adult.pk, "quantity": 1}],
    }


def post(client: Client, url: str, body=None):
    till = url.split("/")[2]
    client.get(f"/kasse/{till}/")  # sets the CSRF cookie like the page does
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        url,
        data=json.dumps(body or {}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


def test_till_page_offers_terminal(terminal, pool_till, cashier_client):
    page = cashier_client.get(f"/kasse/{pool_till.pk}/").content.decode()
    assert 'id="pay-terminal"' in page
    assert "Karte (Terminal)" in page
    # The stand-alone terminal's button names it, so that the two card buttons differ.
    assert "Karte (eigenständiges Terminal)" in page


def test_till_page_without_terminal_has_no_button(pool_till, cashier_client):
    page = cashier_client.get(f"/kasse/{pool_till.pk}/").content.decode()
    assert 'id="pay-terminal"' not in page


def test_pay_approved(terminal, pool_till, cashier_client, sale_body):
    response = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body)
    data = response.json()
    assert response.status_code == 201
    assert data["state"] == "approved"
    assert data["charged"] == "yes"
    assert data["headline"] == "Kunde wurde belastet"
    assert data["order"]["state"] == OrderState.PAID
    assert "Zahlung erfolgt" in data["receipt_lines"]


def test_poll_reports_the_transaction(terminal, pool_till, cashier_client, sale_body):
    started = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    polled = cashier_client.get(started["urls"]["status"]).json()
    assert polled["id"] == started["id"]
    assert polled["state"] == "approved"


def test_pay_declined_then_cancel(terminal, simulator, pool_till, cashier_client, sale_body):
    simulator.scenario = "decline"
    data = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    assert data["headline"] == "Kunde wurde nicht belastet"
    assert data["order"]["state"] == OrderState.OPEN
    canceled = post(cashier_client, data["urls"]["cancel_order"]).json()
    assert canceled["order"]["state"] == OrderState.CANCELED


def test_pay_declined_then_retry(terminal, simulator, pool_till, cashier_client, sale_body):
    simulator.scenario = "decline"
    data = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    simulator.scenario = "approve"
    again = post(cashier_client, data["urls"]["retry"])
    assert again.status_code == 201
    assert again.json()["order"]["state"] == OrderState.PAID
    assert Order.objects.count() == 1


def test_unclear_payment_can_be_asked_again(
    terminal, simulator, pool_till, cashier_client, sale_body, monkeypatch
):
    from stadtkasse.terminals import services

    simulator.scenario = "drop_after_approve"
    original_recover = services.recover_payment
    monkeypatch.setattr(services, "recover_payment", lambda dialogue_id: None)
    data = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    assert data["state"] == "unclear"
    assert data["headline"] == "Unklar – bitte Terminal prüfen"

    monkeypatch.setattr(services, "recover_payment", original_recover)
    recovered = post(cashier_client, data["urls"]["recover"]).json()
    assert recovered["headline"] == "Kunde wurde belastet"


def test_abort_endpoint_marks_request(terminal, pool_till, cashier_client, sale_body, monkeypatch):
    from stadtkasse.terminals import services

    monkeypatch.setattr(services, "run_in_background", lambda function, *args: None)
    data = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    assert data["state"] == "running"
    aborted = post(cashier_client, data["urls"]["abort"]).json()
    assert aborted["abort_requested"] is True


def test_pay_without_terminal(pool_till, cashier_client, sale_body):
    response = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_terminal"


def test_pay_with_bad_json(terminal, pool_till, cashier_client):
    response = cashier_client.post(
        f"/kasse/{pool_till.pk}/terminal/zahlung", data="{", content_type="application/json"
    )
    assert response.status_code in (400, 403)


def test_end_of_day_refused_for_cashier(terminal, pool_till, cashier_client):
    response = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/tagesabschluss")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Das dürfen Sie an dieser Kasse nicht. Bitte wenden Sie sich an eine Aufsicht."
    )


def test_other_till_cannot_see_transaction(
    terminal, pool_till, office_counter, cashier_client, sale_body
):
    data = post(cashier_client, f"/kasse/{pool_till.pk}/terminal/zahlung", sale_body).json()
    response = cashier_client.get(f"/kasse/{office_counter.pk}/terminal/vorgang/{data['id']}")
    assert response.status_code == 403


def test_end_of_day_headline_names_closing(terminal, pool_till, demo):
    supervisor = Client(enforce_csrf_checks=True)
    supervisor.force_login(get_user_model().objects.get(username="aufsicht"))

    data = post(supervisor, f"/kasse/{pool_till.pk}/terminal/tagesabschluss").json()

    assert data["state"] == "approved"
    assert data["headline"] == "Kassenschnitt abgeschlossen"
    assert data["message"] == "Der Kassenschnitt des Terminals ist abgeschlossen."
