"""Browser tests of the transfer page and the mandate form: images load, axe finds nothing."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING_IMPACTS = {"serious", "critical"}
# Set SEPA_SCREENSHOTS to a folder to keep a screenshot of each page for a look.
SCREENSHOTS = os.environ.get("SEPA_SCREENSHOTS", "")


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def order_with(page, provider_label: str) -> None:
    page.goto(page.base_url + "/leistung/tageskarte/")
    page.check("#id_variant")
    page.press("#id_quantity", "Enter")
    page.wait_for_url("**/warenkorb/")
    page.goto(page.base_url + "/bestellen/")
    page.fill("#id_email", "gast@example.de")
    page.get_by_label(provider_label).check()
    page.get_by_role("button", name="Zahlungspflichtig bestellen").click()


def test_transfer_page_shows_the_girocode(page, demo, mailoutbox):
    order_with(page, "Überweisung (mit GiroCode)")
    page.wait_for_url("**/ueberweisung/**")

    loaded = page.eval_on_selector("img[src$='girocode.png']", "img => img.naturalWidth")

    shoot(page, "transfer")
    assert loaded > 0
    assert blocking_violations(page) == []


def test_mandate_form_error_then_pre_notification(page, demo, mailoutbox):
    order_with(page, "SEPA-Lastschrift")
    page.wait_for_url("**/lastschrift/**")
    page.fill("#id_account_holder", "Maria Muster")
    page.fill("#id_iban", "DE03 1203 0000 0000 2020 51")
    page.get_by_role("button", name="Mandat erteilen").click()
    page.wait_for_selector("#fehler")

    shoot(page, "mandate_error")
    assert "Prüfziffern nicht stimmen" in page.inner_text("#fehler")
    assert blocking_violations(page) == []

    page.fill("#id_iban", "DE02 1203 0000 0000 2020 51")
    page.check("#id_accepted")
    page.get_by_role("button", name="Mandat erteilen").click()
    page.wait_for_selector("#glaeubiger-id")

    shoot(page, "pre_notification")
    assert page.inner_text("#glaeubiger-id") == "DE98ZZZ09999999999"
    assert blocking_violations(page) == []


def test_back_office_export_page(page, demo):
    user = get_user_model().objects.get(username="stadtkasse")
    page.goto(page.base_url + "/verwaltung/anmelden/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "musterstadt")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/verwaltung/")
    page.goto(page.base_url + "/verwaltung/lastschriften/")

    shoot(page, "backoffice")
    assert page.get_by_role("button", name="Lastschriften exportieren (pain.008)").is_visible()
    assert blocking_violations(page) == []
