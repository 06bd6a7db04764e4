"""The bank statement pages in a real browser: upload, statement detail, clarification."""

import os

import pytest

from .conftest import DATA

# Set to a folder to keep screenshots of the pages for a visual check.
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


def shot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_and_clear_in_browser(page, orders, treasurer):
    page.goto(f"{page.base_url}/verwaltung/anmelden/")
    page.fill("input[name=username]", "kasse.stadt")
    page.fill("input[name=password]", "geheim-123")
    page.click("button[type=submit]")

    page.goto(f"{page.base_url}/verwaltung/kontoauszuege/")
    shot(page, "banking-upload.png")
    page.set_input_files("#files", str(DATA / "sparkasse_camt053_v08_ueberweisungen.xml"))
    page.click("form.upload button[type=submit]")
    assert (
        page.locator(".messages")
        .inner_text()
        .startswith("sparkasse_camt053_v08_ueberweisungen.xml: 15 neue Zeilen")
    )
    shot(page, "banking-clarification.png")

    page.click('a:has-text("sparkasse_camt053_v08_ueberweisungen.xml")')
    assert page.locator("h1").inner_text() == "sparkasse_camt053_v08_ueberweisungen.xml"
    shot(page, "banking-statement.png")
