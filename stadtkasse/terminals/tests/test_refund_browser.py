"""The till's card refunds in a real browser: a supervisor refunds on the simulated terminal."""

import os

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import RefundState
from stadtkasse.payments.refunds import refund_payment
from stadtkasse.terminals import services

pytestmark = pytest.mark.browser

# Set STADTKASSE_SCREENSHOTS to a folder to keep screenshots of each step for a look.
SHOTS = os.environ.get("STADTKASSE_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


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


def sign_in(page, username: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 860})
    page.goto("/kasse/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("musterstadt")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/kasse/**")


def test_supervisor_refunds_on_the_terminal(page, pending, pool_till):
    sign_in(page, "aufsicht")
    page.goto(f"/kasse/{pool_till.pk}/")
    page.get_by_role("button", name="Kartenerstattungen").click()

    refunds = page.locator("#refunds-dialog")
    item = refunds.locator(".refund")
    expect(item).to_have_count(1)
    expect(item.locator(".refund-order")).to_have_text(pending.payment.order.code)
    expect(item.locator(".refund-amount")).to_have_text("3,00\u00a0€")
    expect(item.locator(".refund-reason")).to_have_text("Sauna geschlossen")
    shot(page, "refund-01-list")

    item.get_by_role("button", name="Am Terminal erstatten").click()
    dialog = page.locator("#terminal-dialog")
    expect(dialog).to_have_attribute("data-state", "approved")
    expect(page.locator("#terminal-title")).to_have_text("Erstattung abgeschlossen")
    expect(page.locator("#terminal-kind")).to_have_text("Erstattung am Kartenterminal")
    shot(page, "refund-02-done")

    page.locator("#terminal-close").click()
    expect(refunds).to_be_visible()
    expect(page.locator("#refunds-empty")).to_be_visible()
    pending.refresh_from_db()
    assert pending.state == RefundState.DONE


def test_cashier_sees_no_card_refunds(page, pending, pool_till):
    sign_in(page, "kasse.hallenbad")
    page.goto(f"/kasse/{pool_till.pk}/")
    expect(page.get_by_role("button", name="Karte (Terminal)")).to_be_visible()
    expect(page.get_by_role("button", name="Kartenerstattungen")).to_have_count(0)
