"""The till in a real browser: the pool cashier sells two adult day tickets for cash."""

import os

import pytest
from playwright.sync_api import expect

from stadtkasse.orders.models import Order, OrderState

pytestmark = pytest.mark.browser

# Set STADTKASSE_SCREENSHOTS to a folder to keep screenshots of each step for a look.
SHOTS = os.environ.get("STADTKASSE_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


@pytest.fixture
def sign_in(page, demo):
    def signed_in(username: str) -> None:
        page.set_viewport_size({"width": 1366, "height": 860})
        page.goto("/kasse/anmelden/")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill("musterstadt")
        shot(page, "01-login")
        page.get_by_role("button", name="Anmelden").click()

    return signed_in


def test_pool_cashier_sells_two_day_tickets_for_cash(page, sign_in, pool_till, product):
    adult = product("tageskarte").variants.get(name="Erwachsene")

    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    ticket_button = page.locator(f'button.product[data-variant="{adult.pk}"]')
    ticket_button.click()
    ticket_button.click()

    line = page.locator("#lines .line")
    assert line.count() == 1
    assert line.locator(".qty-input").input_value() == "2"
    assert page.locator("#total").text_content() == "8,00\u00a0€"
    shot(page, "02-sale")

    page.get_by_role("button", name="Bar", exact=True).click()
    page.get_by_label("Gegeben (in Euro)").fill("10")
    assert page.locator("#cash-change").text_content() == "2,00\u00a0€"
    shot(page, "03-cash")
    page.get_by_role("button", name="Bar kassieren").click()

    done = page.locator("#done-dialog")
    done.wait_for(state="visible")
    assert page.locator("#done-change").text_content() == "2,00\u00a0€"
    shot(page, "04-done")

    order = Order.objects.get()
    assert order.state == OrderState.PAID
    assert order.channel == "counter"
    assert order.point_of_sale_id == pool_till.pk
    assert order.total_cents == 800
    assert page.locator("#done-code").text_content() == order.code
    assert page.locator("#done-kassenzeichen").text_content() == order.kassenzeichen_display

    page.get_by_role("link", name="Beleg anzeigen").click()
    page.wait_for_url(f"**/kasse/beleg/{order.code}/")
    assert order.kassenzeichen_display in page.content()
    shot(page, "05-receipt")


def test_till_cash_amount_with_thousands_dots(page, sign_in, pool_till, product):
    """Dots that group thousands are read as thousands. An implausible amount shows at once."""
    adult = product("tageskarte").variants.get(name="Erwachsene")
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.locator(f'button.product[data-variant="{adult.pk}"]').click()
    page.get_by_role("button", name="Bar", exact=True).click()
    cash_input = page.get_by_label("Gegeben (in Euro)")
    error = page.locator("#cash-error")

    cash_input.fill("1.000,00")
    expect(error).to_contain_text("unplausibel hoch")
    assert page.locator("#cash-change").text_content() == "–"
    page.get_by_role("button", name="Bar kassieren").click()
    expect(error).to_be_visible()
    assert Order.objects.count() == 0

    cash_input.fill("100.00")
    assert page.locator("#cash-change").text_content() == "96,00 €"
    expect(error).to_be_hidden()
    cash_input.fill("1.5,00")
    expect(error).to_contain_text("zum Beispiel 20 oder 12,50")
    cash_input.fill("10,-")
    assert page.locator("#cash-change").text_content() == "6,00\u00a0€"


def test_till_quantity_box_and_message(page, sign_in, pool_till, product):
    """The box shows three digits whole; a wrong quantity is named in the message."""
    adult = product("tageskarte").variants.get(name="Erwachsene")
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.locator(f'button.product[data-variant="{adult.pk}"]').click()
    quantity = page.locator("#lines .qty-input")

    quantity.fill("100")
    quantity.dispatch_event("change")
    assert quantity.evaluate("box => box.scrollWidth <= box.clientWidth")
    quantity.fill("1000")
    quantity.dispatch_event("change")

    expect(page.locator("#lines .line-error")).to_have_text(
        "„1000“ ist keine mögliche Menge. Bitte geben Sie eine ganze Zahl von 1 bis 100 ein."
    )
    expect(page.locator("#total")).to_have_text("–")


def test_receipt_fits_80mm_roll(page, sign_in, pool_till, product):
    """Printed on 80 mm paper (72 mm printable), the receipt is no wider than the paper."""
    adult = product("tageskarte").variants.get(name="Erwachsene")
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.locator(f'button.product[data-variant="{adult.pk}"]').click()
    page.get_by_role("button", name="Bar", exact=True).click()
    page.get_by_role("button", name="Bar kassieren").click()
    page.locator("#done-dialog").wait_for(state="visible")
    page.get_by_role("link", name="Beleg anzeigen").click()
    page.wait_for_url("**/kasse/beleg/*/")

    # 72 mm at the 96 pixels per inch of CSS.
    page.set_viewport_size({"width": 272, "height": 900})
    page.emulate_media(media="print")
    shot(page, "11-receipt-80mm")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator(".receipt-actions").is_hidden()
    expect(page.locator(".receipt")).to_contain_text(Order.objects.get().kassenzeichen_display)


def test_upright_tablet_keeps_payment_in_view(page, sign_in, pool_till, product):
    """On a tablet held upright (800 × 1280), total and payment buttons need no scrolling."""
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.set_viewport_size({"width": 800, "height": 1280})
    for variant in product("tageskarte").variants.all():
        page.locator(f'button.product[data-variant="{variant.pk}"]').click()
    shot(page, "12-tablet-upright")

    expect(page.locator("#lines .line")).to_have_count(product("tageskarte").variants.count())
    expect(page.locator("#total")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Bar", exact=True)).to_be_in_viewport()
    expect(page.get_by_role("button", name="Karte", exact=True)).to_be_in_viewport()


def test_scanned_pool_code_at_the_office_is_refused(page, sign_in, office_counter):
    sign_in("kasse.buergerbuero")
    page.wait_for_url(f"**/kasse/{office_counter.pk}/")

    page.get_by_label("Barcode oder Artikelnummer").fill("2001")
    page.keyboard.press("Enter")

    notice = page.locator("#notice")
    notice.wait_for(state="visible")
    assert notice.text_content() == (
        "„Tageskarte Hallenbad“ wird hier nicht verkauft. "
        "Bitte wählen Sie eine Leistung, die hier angeboten wird."
    )
    assert page.locator("#lines .line").count() == 0
    shot(page, "06-office-refused")

    page.get_by_label("Barcode oder Artikelnummer").fill("1101")
    page.keyboard.press("Enter")
    page.get_by_label("Barcode oder Artikelnummer").fill("1007")
    page.keyboard.press("Enter")
    assert page.locator("#lines .line").count() == 2
    assert page.locator("#total").text_content() == "11,00\u00a0€"
    shot(page, "07-office-sale")

    page.get_by_role("button", name="Karte", exact=True).click()
    shot(page, "08-card")
    page.get_by_role(
        "button", name="Karte (externes Terminal): Zahlung am Terminal erfolgreich"
    ).click()
    page.locator("#done-dialog").wait_for(state="visible")
    assert page.locator("#done-card-line").is_visible()
    assert not page.locator("#done-change-line").is_visible()
    shot(page, "09-card-done")
    order = Order.objects.get()
    assert (order.point_of_sale_id, order.total_cents) == (office_counter.pk, 1100)
    assert order.payments.get().method == "card_external"

    page.get_by_role("button", name="Neuer Verkauf").click()
    expect(page.locator("#lines .line")).to_have_count(0)
    expect(page.locator("#total")).to_have_text("0,00\u00a0€")


def test_age_priced_fee_asks_for_the_birth_date(page, sign_in, office_counter):
    sign_in("kasse.buergerbuero")
    page.wait_for_url(f"**/kasse/{office_counter.pk}/")

    page.locator("button.product", has_text="Personalausweis").first.click()
    dialog = page.locator("#fields-dialog")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Zum Verkauf hinzufügen").click()
    assert dialog.locator("#fields-error").text_content() == (
        "Bitte füllen Sie „Geburtsdatum der antragstellenden Person“ aus."
    )
    dialog.get_by_label("Geburtsdatum der antragstellenden Person").fill("1.5.1990")
    shot(page, "10-fields")
    dialog.get_by_role("button", name="Zum Verkauf hinzufügen").click()

    line = page.locator("#lines .line")
    assert line.locator(".line-name").text_content() == "Personalausweis – 24 Jahre und älter"
    assert "1.5.1990" in line.locator(".line-details").text_content()
    assert page.locator("#total").text_content() == "46,00\u00a0€"

    page.get_by_role("button", name="Bar", exact=True).click()
    page.get_by_role("button", name="50\u00a0€", exact=True).click()
    page.get_by_role("button", name="Bar kassieren").click()
    page.locator("#done-dialog").wait_for(state="visible")

    order_line = Order.objects.get().lines.get()
    assert order_line.total_cents == 4600
    assert order_line.answers["geburtsdatum"]["value"] == "1990-05-01"
    assert page.locator("#done-change").text_content() == "4,00\u00a0€"


def test_line_just_added_stays_in_view(page, sign_in, pool_till):
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.set_viewport_size({"width": 1024, "height": 768})
    buttons = page.locator("button.product[data-variant]")
    count = min(buttons.count(), 7)

    for index in range(count):
        buttons.nth(index).click()

    lines = page.locator("#lines .line")
    assert lines.count() == count
    expect(lines.nth(count - 1)).to_be_in_viewport()
    shot(page, "06-many-lines")


def test_short_screen_shows_two_lines_whole(page, sign_in, pool_till):
    """At 1024 × 768 a sale of two lines shows both whole beside total and payment."""
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")
    page.set_viewport_size({"width": 1024, "height": 768})
    buttons = page.locator("button.product[data-variant]")
    buttons.nth(0).click()
    buttons.nth(1).click()

    lines = page.locator("#lines .line")
    expect(lines).to_have_count(2)
    for index in range(2):
        expect(lines.nth(index)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Bar", exact=True)).to_be_in_viewport(ratio=1)


def test_scan_in_price_dialog_is_held_back(page, sign_in, pool_till, product):
    ticket = product("tageskarte")
    sign_in("kasse.hallenbad")
    page.wait_for_url(f"**/kasse/{pool_till.pk}/")

    page.locator("#scan").fill(ticket.barcode)
    page.keyboard.press("Enter")
    dialog = page.locator("#variant-dialog")
    dialog.wait_for(state="visible")
    # A second scan while the dialog waits for the price: characters, then Enter.
    page.keyboard.type(ticket.barcode)
    page.keyboard.press("Enter")

    error = page.locator("#variant-error")
    expect(error).to_be_visible()
    assert f"Der Scan „{ticket.barcode}“ wurde nicht übernommen" in error.text_content()
    assert dialog.is_visible()
    assert page.locator("#lines .line").count() == 0
    shot(page, "scan-in-price-dialog")

    dialog.get_by_role("button", name="Erwachsene").click()
    assert page.locator("#lines .line").count() == 1
