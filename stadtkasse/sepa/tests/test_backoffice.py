import datetime

import pytest
from django.contrib.auth import get_user_model

from stadtkasse.sepa.models import DebitState, DirectDebit, SepaFile
from stadtkasse.sepa.tests.conftest import grant_mandate


@pytest.fixture
def treasury(demo):
    """A second client, signed in as the demo treasury account."""
    from django.test import Client

    staff = Client()
    staff.force_login(get_user_model().objects.get(username="stadtkasse"))
    return staff


@pytest.fixture
def scheduled_debit(shop, debit_payment):
    grant_mandate(shop, debit_payment)
    return DirectDebit.objects.get()


def test_page_lists_scheduled_debits(treasury, scheduled_debit):
    html = treasury.get("/verwaltung/lastschriften/").content.decode()

    assert "Vorgemerkte Lastschriften" in html
    assert scheduled_debit.due_date.strftime("%d.%m.%Y") in html


def test_button_exports_and_offers_the_file(treasury, scheduled_debit):
    response = treasury.post(
        "/verwaltung/lastschriften/export/",
        {"due": "2099-12-31", "schema": "pain.008.001.08"},
        follow=True,
    )

    sepa_file = SepaFile.objects.get()
    html = response.content.decode()
    assert f'href="/verwaltung/lastschriften/datei/{sepa_file.pk}/"' in html
    assert "Datei geschrieben: 1 Transaktion," in html
    scheduled_debit.refresh_from_db()
    assert scheduled_debit.state == DebitState.EXPORTED


def test_download_of_an_exported_file(treasury, scheduled_debit):
    treasury.post(
        "/verwaltung/lastschriften/export/", {"due": "2099-12-31", "schema": "pain.008.001.02"}
    )
    sepa_file = SepaFile.objects.get()

    response = treasury.get(f"/verwaltung/lastschriften/datei/{sepa_file.pk}/")

    assert response.status_code == 200
    assert b"pain.008.001.02" in b"".join(response.streaming_content)
    assert response["Content-Disposition"] == f'attachment; filename="{sepa_file.filename}"'


def test_export_with_nothing_due_says_so(treasury, scheduled_debit):
    day_before = scheduled_debit.due_date - datetime.timedelta(days=1)

    response = treasury.post(
        "/verwaltung/lastschriften/export/",
        {"due": day_before.isoformat(), "schema": "pain.008.001.08"},
        follow=True,
    )

    html = response.content.decode()
    assert f"Bis zum {day_before:%d.%m.%Y} sind keine Lastschriften fällig" in html
    assert "Es wurde keine Datei geschrieben." in html
    assert f"Die nächsten Lastschriften sind am {scheduled_debit.due_date:%d.%m.%Y} fällig" in html
    assert SepaFile.objects.count() == 0


def test_bad_date_is_rejected(treasury, scheduled_debit):
    response = treasury.post(
        "/verwaltung/lastschriften/export/", {"due": "31.2.2099x", "schema": "pain.008.001.08"}
    )

    assert response.status_code == 400
    assert "Bitte geben Sie das Datum als TT.MM.JJJJ an." in response.content.decode()


def test_cashier_may_not_export(client, scheduled_debit):
    client.force_login(get_user_model().objects.get(username="kasse.hallenbad"))

    response = client.post("/verwaltung/lastschriften/export/", {"due": "2099-12-31"})

    assert response.status_code == 403
    assert SepaFile.objects.count() == 0


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get("/verwaltung/lastschriften/")

    assert response.status_code == 302
    assert response.url.startswith("/verwaltung/anmelden/")
