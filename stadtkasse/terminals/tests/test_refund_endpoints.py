"""The till's refund endpoints over HTTP, with the simulator as the terminal."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import RefundState
from stadtkasse.payments.refunds import refund_payment
from stadtkasse.terminals import services

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def post(client: Client, pos_id: int, url: str):
    client.get(f"/kasse/{pos_id}/")  # sets the CSRF cookie like the page does
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        url, data=json.dumps({}), content_type="application/json", headers={"X-CSRFToken": token}
    )


@pytest.fixture
def pending(terminal, pool_till, pool_cashier, product):
    """A pending refund of 3,00 € of a card terminal payment of 8,00 €."""
    ticket = product("tageskarte")
    lines = [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 2)]
    dialogue = services.sell_by_terminal(pool_till, pool_cashier, lines, submit_token="paid")
    dialogue.refresh_from_db()
    supervisor = get_user_model().objects.get(username="aufsicht")
    return refund_payment(
        dialogue.payment, amount_cents=300, reason="Sauna geschlossen", user=supervisor
    )


def test_cashier_page_has_no_refund_list(pending, pool_till):
    page = signed_in("kasse.hallenbad").get(f"/kasse/{pool_till.pk}/").content.decode()
    assert 'id="terminal-refunds"' not in page
    assert 'id="refunds-dialog"' not in page


def test_supervisor_page_offers_refund_list(pending, pool_till):
    page = signed_in("aufsicht").get(f"/kasse/{pool_till.pk}/").content.decode()
    assert 'id="terminal-refunds"' in page
    assert "Kartenerstattungen" in page


def test_cashier_list_is_forbidden(pending, pool_till):
    response = signed_in("kasse.hallenbad").get(f"/kasse/{pool_till.pk}/terminal/erstattungen")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"


def test_cashier_start_is_forbidden(pending, pool_till):
    url = f"/kasse/{pool_till.pk}/terminal/erstattungen/{pending.pk}"
    response = post(signed_in("kasse.hallenbad"), pool_till.pk, url)
    pending.refresh_from_db()
    assert response.status_code == 403
    assert pending.state == RefundState.PENDING


def test_supervisor_lists_pending_refund(pending, pool_till):
    response = signed_in("aufsicht").get(f"/kasse/{pool_till.pk}/terminal/erstattungen")
    items = response.json()["refunds"]
    order = pending.payment.order
    assert response.status_code == 200
    assert len(items) == 1
    assert items[0]["id"] == pending.pk
    assert items[0]["order"] == order.code
    assert items[0]["kassenzeichen"] == order.kassenzeichen_display
    assert items[0]["amount_cents"] == 300
    assert items[0]["reason"] == "Sauna geschlossen"
    assert items[0]["last_attempt"] is None


def test_supervisor_starts_refund(pending, pool_till):
    client = signed_in("aufsicht")
    url = f"/kasse/{pool_till.pk}/terminal/erstattungen/{pending.pk}"
    response = post(client, pool_till.pk, url)
    data = response.json()
    pending.refresh_from_db()

    assert response.status_code == 201
    assert data["kind"] == "refund"
    assert data["state"] == "approved"
    assert data["headline"] == "Erstattung abgeschlossen"
    assert data["refund"]["id"] == pending.pk
    assert pending.state == RefundState.DONE
    listed = client.get(f"/kasse/{pool_till.pk}/terminal/erstattungen").json()
    assert listed["refunds"] == []


def test_declined_refund_shows_last_attempt(pending, pool_till, simulator):
    simulator.scenario = "decline"
    client = signed_in("aufsicht")
    url = f"/kasse/{pool_till.pk}/terminal/erstattungen/{pending.pk}"
    data = post(client, pool_till.pk, url).json()
    assert data["state"] == "declined"
    assert data["headline"] == "Es wurde nichts erstattet"

    listed = client.get(f"/kasse/{pool_till.pk}/terminal/erstattungen").json()["refunds"]
    assert listed[0]["last_attempt"]["state"] == "declined"


def test_unknown_refund_is_not_found(pending, pool_till):
    url = f"/kasse/{pool_till.pk}/terminal/erstattungen/{pending.pk + 1000}"
    response = post(signed_in("aufsicht"), pool_till.pk, url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "refund_not_found"


def test_back_office_points_to_the_till(pending):
    client = Client()
    client.force_login(get_user_model().objects.get(username="stadtkasse"))
    page = client.get(f"/verwaltung/journal/{pending.payment.order.code}/").content.decode()
    assert "am Kartenterminal erstatten" in page
    assert "unter „Kartenerstattungen“" in page
