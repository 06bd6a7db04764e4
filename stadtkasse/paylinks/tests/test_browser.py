"""Browser test: the cashier shows a QR code, a phone pays it, the till shows it paid."""

import os
import re

import pytest
from playwright.sync_api import expect

from stadtkasse.orders.models import Order, OrderState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set PAYLINK_SCREENSHOTS to a folder to keep screenshots of the three screens there.
SCREENSHOTS = os.environ.get("PAYLINK_SCREENSHOTS", "")


def sign_in(page, username: str) -> None:
    page.goto("/kasse/anmelden/")
    page.fill("#id_username", username)
    page.fill("#id_password", "musterstadt")
    page.click("button[type=submit]")


def test_link_paid_on_phone_shows_paid_at_till(page, chromium, live_server, demo, demo_epay):
    save = bool(SCREENSHOTS)

    sign_in(page, "kasse.hallenbad")
    page.wait_for_url(re.compile(r"/kasse/\d+/$"))
    page.get_by_role("button", name=re.compile("Tageskarte.*Erwachsene", re.S)).first.click()
    page.get_by_role("button", name=re.compile("Tageskarte.*Erwachsene", re.S)).first.click()
    page.click("#pay-link")
    page.get_by_role("button", name="15 Minuten").click()
    page.wait_for_selector("#paylink-qr[src^='data:image/svg+xml']")
    link_url = page.locator("#paylink-url").inner_text()
    assert "/zahlen/" in link_url
    assert page.locator("#paylink-due").inner_text() == "8,00\xa0€"
    if save:
        page.screenshot(path=f"{SCREENSHOTS}/counter-qr.png")

    phone_context = chromium.new_context(
        locale="de-DE", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(10000)
    phone.goto(link_url)
    assert phone.locator("h1").inner_text() == "Zahlung an Stadt Musterstadt"
    if save:
        phone.screenshot(path=f"{SCREENSHOTS}/portal-pay.png", full_page=True)
    phone.get_by_role("button", name="8,00\xa0€ bezahlen").click()
    phone.get_by_role("button", name="Bezahlen", exact=True).click()
    phone.wait_for_url(re.compile(r"/bestellung/[A-Z0-9]+/$"))
    assert "bezahlt" in phone.locator("main").inner_text().lower()
    phone_context.close()

    # The till polls; the page is never reloaded.
    page.wait_for_selector("#paylink-paid:not([hidden])")
    assert page.locator("#paylink-paid").inner_text() == "Bezahlt"
    assert page.locator("#paylink-receipt").is_visible()
    if save:
        page.screenshot(path=f"{SCREENSHOTS}/counter-paid.png")

    order = Order.objects.get()
    assert order.state == OrderState.PAID
    assert order.channel == "counter"

    page.click("#paylink-new-sale")
    # The dialog's close event starts the new sale, a moment after the click.
    expect(page.locator("#total")).to_have_text("0,00\xa0€")
