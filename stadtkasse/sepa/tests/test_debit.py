from django.core import mail
from django.test import Client
from django.utils import timezone

from stadtkasse.orders.models import OrderState
from stadtkasse.sepa.calendar import add_business_days
from stadtkasse.sepa.models import DebitState, DirectDebit, SepaMandate
from stadtkasse.sepa.services import PRE_NOTIFICATION_BUSINESS_DAYS
from stadtkasse.sepa.tests.conftest import grant_mandate, place


def test_checkout_by_debit_redirects_to_mandate_form(shop, product):
    response, payment = place(shop, product, "sepa_debit")

    assert response.status_code == 302
    assert response.url == f"/lastschrift/{payment.reference}/"


def test_mandate_form_shows_creditor_id_and_reference(shop, debit_payment):
    html = shop.get(f"/lastschrift/{debit_payment.reference}/").content.decode()

    assert "Gläubiger-Identifikationsnummer: DE98ZZZ09999999999" in html
    assert f"Mandatsreferenz: MS-{debit_payment.order.kassenzeichen}" in html
    assert "Ich ermächtige Stadtkasse Musterstadt" in html


def test_mandate_with_wrong_iban_names_the_value(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban="DE03 1203 0000 0000 2020 51")

    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Die IBAN „DE03 1203 0000 0000 2020 51“ ist ungültig, weil ihre Prüfziffern nicht "
        "stimmen." in html
    )
    assert SepaMandate.objects.count() == 0


def test_mandate_without_acceptance_is_rejected(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, accepted="")

    assert response.status_code == 400
    assert (
        "Bitte bestätigen Sie, dass Sie das SEPA-Lastschriftmandat erteilen, oder wählen Sie "
        "eine andere Zahlungsart." in response.content.decode()
    )
    assert DirectDebit.objects.count() == 0


def test_mandate_without_holder_is_rejected(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, account_holder="")

    assert response.status_code == 400
    assert (
        "Bitte geben Sie den Namen der Kontoinhaberin oder des Kontoinhabers an."
        in response.content.decode()
    )


def test_mandate_keeps_typed_values_after_an_error(shop, debit_payment):
    html = grant_mandate(shop, debit_payment, iban="DE03").content.decode()

    assert 'value="Maria Muster"' in html
    assert 'value="DE03"' in html


def test_mandate_is_stored_with_the_accepted_text(shop, debit_payment):
    response = grant_mandate(shop, debit_payment)

    mandate = SepaMandate.objects.get()
    assert response.status_code == 302
    assert mandate.reference == f"MS-{debit_payment.order.kassenzeichen}"
    assert mandate.mandate_type == "OOFF"
    assert mandate.account_holder == "Maria Muster"
    assert mandate.iban == "DE02120300000000202051"
    assert mandate.bic == "BYLADEM1001"
    assert mandate.creditor_id == "DE98ZZZ09999999999"
    assert mandate.signed_on == timezone.localdate()
    assert mandate.text.startswith("SEPA-Basislastschriftmandat für eine einmalige Zahlung")
    assert "Kontoinhaber:in: Maria Muster" in mandate.text
    assert "IBAN: DE02 1203 0000 0000 2020 51" in mandate.text
    assert "eine einmalige Zahlung von meinem Konto mittels Lastschrift einzuziehen" in mandate.text
    assert "Vorabankündigung (Pre-Notification) der Lastschrift" in mandate.text


def test_recurring_mandate_text_speaks_of_payments(shop, debit_payment):
    grant_mandate(shop, debit_payment, mandate_type="RCUR")

    text = SepaMandate.objects.get().text
    assert "Zahlungen von meinem Konto mittels Lastschrift einzuziehen" in text
    assert "Vorabankündigung (Pre-Notification) jeder Lastschrift" in text


def test_debit_is_due_after_the_pre_notification_period(shop, debit_payment):
    grant_mandate(shop, debit_payment)

    debit = DirectDebit.objects.get()
    assert debit.due_date == add_business_days(timezone.localdate(), PRE_NOTIFICATION_BUSINESS_DAYS)
    assert debit.end_to_end_id == debit_payment.reference.hex
    assert debit.state == DebitState.SCHEDULED
    assert debit.amount_cents == 800


def test_debit_keeps_the_order_pending_past_the_due_date(shop, debit_payment):
    grant_mandate(shop, debit_payment)

    debit = DirectDebit.objects.get()
    debit_payment.order.refresh_from_db()
    assert debit_payment.order.state == OrderState.PENDING_PAYMENT
    assert timezone.localdate(debit_payment.order.expires_at) > debit.due_date


def test_pre_notification_page_and_e_mail(shop, debit_payment):
    response = grant_mandate(shop, debit_payment)
    html = shop.get(response.url).content.decode()
    debit = DirectDebit.objects.get()
    due = debit.due_date.strftime("%d.%m.%Y")

    assert "Vorabankündigung Ihrer Lastschrift" in html
    assert f'id="faellig">{due}<' in html
    assert 'id="betrag">8,00\u00a0€<' in html
    assert f'id="mandatsreferenz">{debit.mandate.reference}<' in html
    assert 'id="glaeubiger-id">DE98ZZZ09999999999<' in html
    assert len(mail.outbox) == 1
    assert f"Mandatsreferenz: {debit.mandate.reference}" in mail.outbox[0].body
    assert "Gläubiger-Identifikationsnummer: DE98ZZZ09999999999" in mail.outbox[0].body
    assert f"Abbuchungsdatum: {due}" in mail.outbox[0].body
    # The e-mail shows the account with all but the first and last four characters hidden.
    assert "DE02 XXXX XXXX XXXX XX20 51" in mail.outbox[0].body
    assert debit.mandate.iban not in mail.outbox[0].body


def test_second_submit_keeps_one_mandate(shop, debit_payment):
    grant_mandate(shop, debit_payment)
    response = grant_mandate(shop, debit_payment, account_holder="Jemand Anderes")

    assert response.status_code == 200
    assert SepaMandate.objects.count() == 1
    assert DirectDebit.objects.count() == 1
    assert SepaMandate.objects.get().account_holder == "Maria Muster"


def test_recurring_mandate(shop, debit_payment):
    grant_mandate(shop, debit_payment, mandate_type="RCUR")

    mandate = SepaMandate.objects.get()
    assert mandate.mandate_type == "RCUR"
    assert mandate.text.startswith("SEPA-Basislastschriftmandat für wiederkehrende Zahlungen")


def test_mandate_form_hidden_from_other_browsers(debit_payment):
    response = Client().post(
        f"/lastschrift/{debit_payment.reference}/",
        {"account_holder": "X", "iban": "DE02120300000000202051", "mandate_type": "OOFF"},
    )

    assert response.status_code == 404
    assert SepaMandate.objects.count() == 0


def test_order_page_shows_pre_notification(shop, debit_payment):
    grant_mandate(shop, debit_payment)

    html = shop.get(f"/bestellung/{debit_payment.order.code}/").content.decode()

    assert 'id="glaeubiger-id">DE98ZZZ09999999999<' in html


def test_mandate_reference_is_numbered_when_taken(shop, debit_payment):
    from stadtkasse.sepa.models import SepaSettings
    from stadtkasse.sepa.services import mandate_reference

    account = SepaSettings.objects.get()
    grant_mandate(shop, debit_payment)

    assert mandate_reference(account, debit_payment.order) == (
        f"MS-{debit_payment.order.kassenzeichen}-2"
    )


# Address of the account holder, required for banks outside the EEA

GB_IBAN = "GB33 BUKB 2020 1555 5555 55"
GB_ADDRESS = {
    "street": "221b Baker Street",
    "postcode": "NW1 6XE",
    "town": "London",
}
ADDRESS_REQUIRED = (
    "Für Lastschriften von Konten außerhalb des Europäischen Wirtschaftsraums (EWR) ist die "
    "Anschrift der Kontoinhaberin oder des Kontoinhabers vorgeschrieben."
)


def test_gb_mandate_without_address_is_rejected(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban=GB_IBAN)

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Bitte geben Sie Straße und Hausnummer an. {ADDRESS_REQUIRED}" in html
    assert f"Bitte geben Sie die Postleitzahl an. {ADDRESS_REQUIRED}" in html
    assert f"Bitte geben Sie den Ort an. {ADDRESS_REQUIRED}" in html
    assert SepaMandate.objects.count() == 0
    assert DirectDebit.objects.count() == 0


def test_gb_mandate_names_missing_part(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban=GB_IBAN, **{**GB_ADDRESS, "town": ""})

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Bitte geben Sie den Ort an. {ADDRESS_REQUIRED}" in html
    assert "Bitte geben Sie Straße und Hausnummer an." not in html
    assert "Bitte geben Sie die Postleitzahl an." not in html
    assert 'value="221b Baker Street"' in html
    assert SepaMandate.objects.count() == 0


def test_gb_mandate_with_address_is_stored(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban=GB_IBAN, **GB_ADDRESS)

    mandate = SepaMandate.objects.get()
    assert response.status_code == 302
    assert mandate.iban == "GB33BUKB20201555555555"
    assert mandate.address_street == "221b Baker Street"
    assert mandate.address_postcode == "NW1 6XE"
    assert mandate.address_town == "London"
    assert mandate.address_country == "GB"
    assert "Anschrift: 221b Baker Street, NW1 6XE London, GB" in mandate.text


def test_swiss_mandate_keeps_given_country(shop, debit_payment):
    response = grant_mandate(
        shop,
        debit_payment,
        iban="CH93 0076 2011 6238 5295 7",
        street="Bahnhofstrasse 1",
        postcode="8001",
        town="Zürich",
        country="li",
    )

    mandate = SepaMandate.objects.get()
    assert response.status_code == 302
    assert mandate.address_town == "Zürich"
    assert mandate.address_country == "LI"


def test_mandate_rejects_unknown_country(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban=GB_IBAN, **GB_ADDRESS, country="XX")

    assert response.status_code == 400
    assert (
        "„XX“ ist kein bekannter Ländercode. Bitte geben Sie den zweistelligen Code des "
        "Landes an, zum Beispiel CH oder GB." in response.content.decode()
    )
    assert SepaMandate.objects.count() == 0


def test_mandate_rejects_too_long_town(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, iban=GB_IBAN, **{**GB_ADDRESS, "town": "L" * 36})

    assert response.status_code == 400
    assert "Bitte verwenden Sie höchstens 35 Zeichen." in response.content.decode()
    assert SepaMandate.objects.count() == 0


def test_de_mandate_without_address_is_stored(shop, debit_payment):
    response = grant_mandate(shop, debit_payment)

    mandate = SepaMandate.objects.get()
    assert response.status_code == 302
    assert mandate.address_street == ""
    assert mandate.address_postcode == ""
    assert mandate.address_town == ""
    assert mandate.address_country == ""
    assert "Anschrift" not in mandate.text


def test_de_mandate_country_from_iban(shop, debit_payment):
    response = grant_mandate(shop, debit_payment, town="Musterstadt")

    mandate = SepaMandate.objects.get()
    assert response.status_code == 302
    assert mandate.address_street == ""
    assert mandate.address_town == "Musterstadt"
    assert mandate.address_country == "DE"


def test_mandate_form_shows_optional_address(shop, debit_payment):
    html = shop.get(f"/lastschrift/{debit_payment.reference}/").content.decode()

    assert "Anschrift der Kontoinhaberin oder des Kontoinhabers" in html
    assert "Nur nötig für Konten außerhalb des EWR (z. B. Schweiz, Vereinigtes Königreich)." in html
    assert 'name="street"' in html
    assert 'name="postcode"' in html
    assert 'name="town"' in html
    assert 'name="country"' in html
