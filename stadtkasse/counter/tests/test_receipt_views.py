"""The receipt of a counter sale, as a page and as a PDF, and who may see it."""

import pytest

from stadtkasse.counter.services import sell
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import PaymentMethod


@pytest.fixture
def pool_sale(pool_till, pool_cashier, product):
    ticket = product("tageskarte")
    adult = ticket.variants.get(name="Erwachsene")
    return sell(
        pool_till,
        pool_cashier,
        [LineRequest(ticket.pk, adult.pk, 2)],
        method=PaymentMethod.CASH,
        tendered_cents=1000,
    )


def test_cashier_sees_the_receipt(login, pool_sale):
    response = login("kasse.hallenbad").get(f"/kasse/beleg/{pool_sale.code}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert pool_sale.code in page
    assert pool_sale.kassenzeichen_display in page
    assert "Tageskarte Hallenbad – Erwachsene" in page
    assert "USt-IdNr.: DE123456789" in page
    assert "B 7 % USt." in page
    assert "Rückgeld" in page
    assert "2,00\u00a0€" in page
    assert "Hallenbad Musterstadt – Kasse" in page


def test_receipt_shows_the_same_data_as_the_context(login, pool_sale):
    response = login("kasse.hallenbad").get(f"/kasse/beleg/{pool_sale.code}/")

    assert response.context["total"] == "8,00\u00a0€"
    assert [row["vat_cents"] for row in response.context["vat_totals"]] == [52]


def test_treasury_sees_the_receipt(login, pool_sale):
    assert login("stadtkasse").get(f"/kasse/beleg/{pool_sale.code}/").status_code == 200


def test_cashier_of_another_till_gets_403(login, pool_sale):
    response = login("kasse.buergerbuero").get(f"/kasse/beleg/{pool_sale.code}/")

    assert response.status_code == 403
    assert (
        "Diesen Beleg dürfen nur die Kassierer:innen dieser Kasse und die Stadtkasse sehen."
        in response.content.decode()
    )


@pytest.mark.parametrize("username", ["buerger@musterstadt.example", "katalog"])
def test_citizen_and_catalog_manager_get_403(login, pool_sale, username):
    client = login(username)

    assert client.get(f"/kasse/beleg/{pool_sale.code}/").status_code == 403
    assert client.get(f"/kasse/beleg/{pool_sale.code}.pdf").status_code == 403


def test_anonymous_is_sent_to_the_login(client, pool_sale):
    response = client.get(f"/kasse/beleg/{pool_sale.code}.pdf")

    assert response.status_code == 302
    assert response["Location"].startswith("/kasse/anmelden/?next=")


def test_unknown_receipt_is_404(login):
    assert login("kasse.hallenbad").get("/kasse/beleg/NOSUCH99/").status_code == 404


def test_pdf(login, pool_sale):
    response = login("kasse.hallenbad").get(f"/kasse/beleg/{pool_sale.code}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="beleg-{pool_sale.code}.pdf"'
    assert response.content.startswith(b"%PDF-")
