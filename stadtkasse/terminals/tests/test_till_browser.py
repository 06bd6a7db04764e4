"""The till of a point of sale with a card terminal, in headless Chromium."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_pay_buttons_fit_sale_panel(page, terminal, pool_till):
    """Both card buttons fit. The terminal's is next to cash, the stand-alone one below."""
    page.set_viewport_size({"width": 1366, "height": 860})
    page.goto("/kasse/anmelden/")
    page.get_by_label("Benutzername").fill("kasse.hallenbad")
    page.get_by_label("Passwort").fill("musterstadt")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.locator("button.product").first.click()

    panel = page.locator(".sale").bounding_box()
    buttons = page.locator(".pay button")
    expect(buttons).to_have_text(
        ["Bar", "Karte (Terminal)", "Karte (eigenständiges Terminal)", "Zahlungslink (QR-Code)"]
    )
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box["x"] + box["width"] <= panel["x"] + panel["width"]
