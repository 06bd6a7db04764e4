"""Browser tests of the portal: axe-core on every page, and a keyboard-only checkout."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from stadtkasse.orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING_IMPACTS = {"serious", "critical"}
# How many Tab presses may lie between two controls before a test gives up.
MAX_TABS = 80


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def focused(page) -> str:
    """Describe the focused element as 'tag#id: text' for matching."""
    return page.evaluate(
        "() => { const e = document.activeElement; "
        "return `${e.tagName.toLowerCase()}#${e.id}: ${(e.innerText || e.value || '').trim()}`; }"
    )


def tab_to(page, pattern: str) -> None:
    """Press Tab until the focused element matches the regular expression."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if re.search(pattern, focused(page)):
            return
    raise AssertionError(f"no focusable element matches {pattern!r}")


def fill_by_keyboard(page, pattern: str, text: str) -> None:
    tab_to(page, pattern)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_every_portal_page_passes_axe(page, demo, demo_epay, mailoutbox):
    visited = {}

    def check(name: str) -> None:
        visited[name] = blocking_violations(page)

    base = page.base_url
    for name, path in [
        ("start", "/"),
        ("category", "/kategorie/schwimmen/"),
        ("search", "/suche/?q=pass"),
        ("product", "/leistung/personalausweis/"),
        ("login", "/konto/anmelden/"),
        ("register", "/konto/registrieren/"),
        ("imprint", "/impressum/"),
        ("privacy", "/datenschutz/"),
        ("accessibility", "/barrierefreiheit/"),
        ("not found", "/leistung/gibt-es-nicht/"),
        ("empty cart", "/warenkorb/"),
    ]:
        page.goto(base + path)
        check(name)

    page.goto(base + "/leistung/personalausweis/")
    page.fill("#id_antwort_geburtsdatum", "31.02.1990")
    page.press("#id_antwort_geburtsdatum", "Enter")
    page.wait_for_selector("#fehler")
    check("product with errors")

    page.goto(base + "/konto/registrieren/")
    page.fill("#id_email", "kaputt")
    page.press("#id_email", "Enter")
    page.wait_for_selector("#fehler")
    check("register with errors")

    page.goto(base + "/leistung/tageskarte/")
    page.check("#id_variant")
    page.press("#id_quantity", "Enter")
    page.wait_for_url("**/warenkorb/")
    check("cart")

    page.goto(base + "/bestellen/")
    check("checkout")
    page.fill("#id_email", "kaputt")
    page.press("#id_email", "Enter")
    page.wait_for_selector("#fehler")
    check("checkout with errors")

    page.fill("#id_email", "gast@example.de")
    page.check("input[name=provider][value=demo]")
    page.press("#id_email", "Enter")
    page.wait_for_url("**/dev/epay/pay/**")
    check("demo payment")

    page.get_by_role("button", name="Bezahlen").press("Enter")
    page.wait_for_url("**/bestellung/**")
    check("order")

    page.goto(base + "/konto/anmelden/")
    page.fill("#id_email", "buerger@musterstadt.example")
    page.fill("#id_password", "musterstadt")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/konto/bestellungen/")
    check("history")

    failures = {name: found for name, found in visited.items() if found}
    assert len(visited) == 19
    assert failures == {}


def test_keyboard_only_checkout(page, demo, demo_epay, mailoutbox):
    page.goto(page.base_url + "/")

    tab_to(page, r"^a#: Tageskarte Hallenbad")
    page.keyboard.press("Enter")
    page.wait_for_url("**/leistung/tageskarte/")
    tab_to(page, r"^input#id_variant:")
    page.keyboard.press("Space")
    tab_to(page, r"^button#: In den Warenkorb")
    page.keyboard.press("Enter")
    page.wait_for_url("**/warenkorb/")

    tab_to(page, r"^a#: Weitere Leistungen")
    page.keyboard.press("Enter")
    page.wait_for_url(page.base_url + "/")
    tab_to(page, r"^a#: Personalausweis$")
    page.keyboard.press("Enter")
    page.wait_for_url("**/leistung/personalausweis/")
    fill_by_keyboard(page, r"^input#id_antwort_geburtsdatum", "17.04.1990")
    tab_to(page, r"^button#: In den Warenkorb")
    page.keyboard.press("Enter")
    page.wait_for_url("**/warenkorb/")
    assert "50,00\u00a0€" in page.inner_text("main")

    tab_to(page, r"^a#: Zur Kasse")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bestellen/")
    fill_by_keyboard(page, r"^input#id_email", "tastatur@example.de")
    # The demo provider is the first payment choice; Space selects the focused radio.
    tab_to(page, r"^input#id_provider: demo$")
    page.keyboard.press("Space")
    tab_to(page, r"^button#: Zahlungspflichtig bestellen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dev/epay/pay/**")

    tab_to(page, r"^button#: Bezahlen$")
    page.keyboard.press("Space")
    page.wait_for_url("**/bestellung/**")

    order = Order.objects.get()
    main = page.inner_text("main")
    assert order.state == "paid"
    assert order.total_cents == 5000
    assert [line.unit_price_cents for line in order.lines.all()] == [400, 4600]
    assert "Bezahlt" in main
    assert order.kassenzeichen_display in main
    assert len(mailoutbox) == 1
