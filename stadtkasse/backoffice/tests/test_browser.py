"""The back office in headless Chromium: sign in, filter the ledger, open an order and the admin.

With BACKOFFICE_SCREENSHOTS set to a folder, the test saves a screenshot of every page there.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from stadtkasse.backoffice.tests.conftest import pay_online
from stadtkasse.payments.models import PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result, start_online_payment

SCREENSHOTS = os.environ.get("BACKOFFICE_SCREENSHOTS", "")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def orders(fast_password_hasher, mixed_orders, sell_at_pool, portal_order):
    for method in (PaymentMethod.CASH, PaymentMethod.CARD_EXTERNAL):
        sell_at_pool(3, method, "tageskarte", "Ermäßigt (6–18 Jahre, Studierende)")
    permit = portal_order([("bewohnerparkausweis", None, 1, {"kennzeichen": "MU-AB 123"})])
    # A second confirmation for the paid order: the treasury has to clarify it.
    pay_twice = portal_order([("meldebescheinigung", None, 1, {})], pay=False)
    late, _url = start_online_payment(
        pay_twice,
        provider_id="demo",
        return_url="http://127.0.0.1/r/__REF__",
        notify_url="http://127.0.0.1/n/",
    )
    pay_online(pay_twice)
    apply_provider_result(
        ProviderResult(str(late.reference), PaymentState.CONFIRMED, amount_cents=500),
        cause="late notification",
    )
    return {**mixed_orders, "permit": permit, "pay_twice": pay_twice}


def sign_in(page, username: str) -> None:
    page.goto(f"{page.base_url}/verwaltung/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("musterstadt")
    page.get_by_role("button", name="Anmelden").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_back_office_walkthrough(page, orders):
    sign_in(page, "admin")
    page.wait_for_url("**/verwaltung/")
    expect(page.get_by_role("link", name="Journal").first).to_be_visible()
    snap(page, "start")
    navigation = page.get_by_role("navigation", name="Verwaltung")
    for area in ("Journal", "Zu klärende Zahlungen", "Kontoauszüge", "Lastschriften"):
        expect(navigation.get_by_role("link", name=area)).to_be_visible()

    page.get_by_role("link", name="Journal").first.click()
    page.get_by_label("Kanal").select_option("counter")
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_url("**channel=counter**")
    expect(page.get_by_text("Umsatz je Steuersatz")).to_be_visible()
    snap(page, "ledger_counter")

    page.get_by_label("Kanal").select_option("")
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_url("**state=all**")
    snap(page, "ledger_all")

    page.goto(f"{page.base_url}/verwaltung/journal/?date_from=31.02.2026")
    expect(page.get_by_text("„31.02.2026“ ist kein gültiges Datum für „Von“.")).to_be_visible()
    snap(page, "ledger_invalid_date")

    page.goto(f"{page.base_url}/verwaltung/journal/{orders['office_cash'].code}/")
    expect(page.get_by_text("Sachkonto: 431100").first).to_be_visible()
    snap(page, "order_detail")

    page.goto(f"{page.base_url}/verwaltung/journal/{orders['permit'].code}/")
    expect(page.get_by_text("MU-AB 123")).to_be_visible()
    page.goto(f"{page.base_url}/verwaltung/journal/{orders['pay_twice'].code}/")
    expect(page.get_by_text("Zu klären:", exact=True)).to_be_visible()
    snap(page, "order_detail_clarification")

    page.goto(f"{page.base_url}/admin/catalog/product/")
    page.get_by_role("link", name="Tageskarte Hallenbad").click()
    expect(page.get_by_text("Umsatzsteuer und Buchung")).to_be_visible()
    snap(page, "admin_product")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_cannot_sign_in(page, demo, fast_password_hasher):
    sign_in(page, "buerger@musterstadt.example")

    expect(page.get_by_text("Dieses Konto hat keinen Zugang zur Verwaltung.")).to_be_visible()
