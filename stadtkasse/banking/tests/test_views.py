"""The bank statement pages: upload, clarification list, assigning and marking as done."""

import pytest
from django.urls import reverse

from stadtkasse.banking.models import BankTransaction, MatchState
from stadtkasse.orders.models import OrderState

from .conftest import DATA


@pytest.fixture
def client_treasurer(client, treasurer, town, settings):
    client.force_login(treasurer)
    return client


def upload(client, *names):
    files = [(DATA / name).open("rb") for name in names]
    try:
        return client.post(reverse("backoffice:bank_statements"), {"files": files}, follow=True)
    finally:
        for handle in files:
            handle.close()


def test_page_needs_permission(client, town, django_user_model):
    user = django_user_model.objects.create_user("kasse", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("backoffice:bank_statements"))
    assert response.status_code == 403


def test_upload_shows_counts_and_open_lines(client_treasurer, orders):
    response = upload(client_treasurer, "sparkasse_camt053_v08_ueberweisungen.xml")
    text = response.content.decode()
    assert response.status_code == 200
    assert (
        "sparkasse_camt053_v08_ueberweisungen.xml: 15 neue Zeilen, 9 zugeordnet, "
        "3 teilweise zugeordnet, 2 nicht zugeordnet, 0 als bereits importiert übersprungen."
    ) in text
    assert "Spende Stadtfest 2026" in text
    # The clarification list of payments points to the open lines with their number.
    queue = client_treasurer.get(reverse("backoffice:clarification_queue")).content.decode()
    assert "5 Kontoauszugszeilen ohne Auftrag" in queue


def test_upload_broken_file_message(client_treasurer, orders):
    response = upload(client_treasurer, "kein_xml.xml")
    assert "Die Datei „kein_xml.xml“ ist keine XML-Datei." in response.content.decode()


def test_assign_books_payment(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="5100 0001 314")
    response = client_treasurer.post(
        reverse("backoffice:bank_line_assign", args=[line.pk]), {"orders": "5100.0001.13-4"}
    )
    line.refresh_from_db()
    orders[113].refresh_from_db()
    assert response.status_code == 302
    assert line.state == MatchState.MATCHED
    assert orders[113].state == OrderState.PAID


def test_assign_unknown_order_message(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="Spende")
    response = client_treasurer.post(
        reverse("backoffice:bank_line_assign", args=[line.pk]), {"orders": "B-999"}, follow=True
    )
    assert (
        "Es wurde kein Vorgang mit dem Code oder Kassenzeichen „B-999“ gefunden."
        in response.content.decode()
    )


def test_mark_done_with_note(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="Spende")
    client_treasurer.post(
        reverse("backoffice:bank_line_done", args=[line.pk]), {"note": "Spende, an Kämmerei"}
    )
    line.refresh_from_db()
    assert line.state == MatchState.RESOLVED
    assert line.note == "Spende, an Kämmerei"


def test_mark_done_needs_note(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="Spende")
    response = client_treasurer.post(
        reverse("backoffice:bank_line_done", args=[line.pk]), {"note": " "}, follow=True
    )
    line.refresh_from_db()
    assert line.state == MatchState.UNMATCHED
    assert "Bitte schreiben Sie eine Notiz" in response.content.decode()


def test_import_detail_lists_lines(client_treasurer, orders, import_file):
    result = import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    response = client_treasurer.get(reverse("backoffice:bank_import", args=[result.bank_import.pk]))
    assert response.status_code == 200
    assert "Jürgen Müller" in response.content.decode()


def test_assign_to_order_with_pending_debit_rejected(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="Spende")

    response = client_treasurer.post(
        reverse("backoffice:bank_line_assign", args=[line.pk]), {"orders": "B-116"}, follow=True
    )

    line.refresh_from_db()
    assert "Die Bestellung B-116 wird per SEPA-Lastschrift eingezogen." in (
        response.content.decode()
    )
    assert line.state == MatchState.UNMATCHED
    assert orders[116].payments.count() == 1


def test_candidate_button_assigns_its_order(client_treasurer, orders, import_file):
    import_file("sparkasse_camt053_v08_ueberweisungen.xml")
    line = BankTransaction.objects.get(remittance__contains="5100 0001 314")
    page = client_treasurer.get(reverse("backoffice:bank_statements")).content.decode()
    assert "B-113 zuordnen" in page
    assert 'name="orders" value="B-113"' in page

    client_treasurer.post(
        reverse("backoffice:bank_line_assign", args=[line.pk]), {"orders": "B-113"}
    )

    line.refresh_from_db()
    assert line.state == MatchState.MATCHED
