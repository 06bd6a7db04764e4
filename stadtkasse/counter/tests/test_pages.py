"""Who may open the till pages, and what they show."""

import pytest
from django.test import Client

from stadtkasse.counter.tests.conftest import user


@pytest.fixture
def anonymous(demo) -> Client:
    return Client()


def test_anonymous_is_sent_to_the_till_login(anonymous, pool_till):
    response = anonymous.get(f"/kasse/{pool_till.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/kasse/anmelden/?next=/kasse/{pool_till.pk}/"


def test_anonymous_start_is_sent_to_the_login(anonymous):
    response = anonymous.get("/kasse/")

    assert response.status_code == 302
    assert response["Location"] == "/kasse/anmelden/?next=/kasse/"


def test_login_page_is_german(anonymous):
    response = anonymous.get("/kasse/anmelden/")

    assert response.status_code == 200
    assert "Anmeldung an der Kasse" in response.content.decode()


def test_cashier_signs_in_and_reaches_the_till(anonymous, pool_till):
    response = anonymous.post(
        "/kasse/anmelden/",
        {"username": "kasse.hallenbad", "password": "musterstadt"},
        follow=True,
    )

    assert response.redirect_chain[-1] == (f"/kasse/{pool_till.pk}/", 302)
    assert response.status_code == 200


def test_citizen_cannot_sign_in_at_the_till(anonymous):
    response = anonymous.post(
        "/kasse/anmelden/",
        {"username": "buerger@musterstadt.example", "password": "musterstadt"},
    )

    assert response.status_code == 200
    assert (
        "Dieses Konto darf die Kasse nicht benutzen. Bitte lassen Sie sich von der Aufsicht "
        "die Rolle Kassierer:in geben." in response.content.decode()
    )


def test_logout_returns_to_the_login(login):
    client = login("kasse.hallenbad")
    client.get("/kasse/anmelden/")

    response = client.post(
        "/kasse/abmelden/", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )

    assert response.status_code == 302
    assert response["Location"] == "/kasse/anmelden/"
    assert client.get("/kasse/").status_code == 302


@pytest.mark.parametrize("username", ["buerger@musterstadt.example", "katalog"])
def test_citizen_and_catalog_manager_get_403(login, pool_till, username):
    client = login(username)

    start = client.get("/kasse/")
    till = client.get(f"/kasse/{pool_till.pk}/")

    assert start.status_code == 403
    assert till.status_code == 403
    assert "Kein Zugriff" in till.content.decode()


def test_cashier_of_another_till_gets_403(login, pool_till):
    response = login("kasse.buergerbuero").get(f"/kasse/{pool_till.pk}/")

    assert response.status_code == 403
    assert "Sie sind dieser Kasse nicht zugeordnet." in response.content.decode()


def test_unknown_till_is_404(login):
    assert login("kasse.hallenbad").get("/kasse/999999/").status_code == 404


def test_cashier_with_one_till_goes_straight_there(login, pool_till):
    response = login("kasse.hallenbad").get("/kasse/")

    assert response.status_code == 302
    assert response["Location"] == f"/kasse/{pool_till.pk}/"


def test_supervisor_chooses_among_tills(login, pool_till, office_counter):
    response = login("aufsicht").get("/kasse/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/kasse/{pool_till.pk}/"' in page
    assert f'href="/kasse/{office_counter.pk}/"' in page


def test_pool_till_offers_pool_products_only(login, pool_till, product):
    response = login("kasse.hallenbad").get(f"/kasse/{pool_till.pk}/")

    page = response.content.decode()
    catalog = response.context["catalog"]
    names = {item["name"] for item in catalog["products"]}
    assert names == {
        "Tageskarte Hallenbad",
        "Abendkarte ab 18 Uhr",
        "10er-Karte Hallenbad",
        "Saisonkarte Hallenbad",
    }
    ticket = product("tageskarte")
    adult = ticket.variants.get(name="Erwachsene")
    assert f'data-variant="{adult.pk}"' in page
    assert "4,00\u00a0€" in page
    assert "Personalausweis" not in page


def test_till_page_has_no_inline_script_or_style(login, pool_till):
    page = login("kasse.hallenbad").get(f"/kasse/{pool_till.pk}/").content.decode()

    assert "<script>" not in page
    assert 'style="' not in page
    assert '<script src="/static/counter/till.js" defer></script>' in page
    assert '<script id="till-data" type="application/json">' in page


def test_sale_screen_queries_do_not_grow_with_the_catalog(
    login, office_counter, django_assert_max_num_queries, demo
):
    from stadtkasse.catalog.models import Category, Product, Variant

    client = login("kasse.buergerbuero")
    client.get(f"/kasse/{office_counter.pk}/")
    category = Category.objects.get(slug="bescheinigungen")
    for number in range(40):
        extra = Product.objects.create(
            municipality=demo,
            operator=office_counter.operator,
            category=category,
            slug=f"extra-{number}",
            name=f"Extra {number}",
            kind="goods",
            vat_treatment="standard",
        )
        Variant.objects.create(product=extra, name="Stück", price_cents=100 + number)

    with django_assert_max_num_queries(15):
        response = client.get(f"/kasse/{office_counter.pk}/")

    assert len(response.context["catalog"]["products"]) == 50


def test_superuser_may_open_every_counter(login, pool_till):
    assert user("admin").is_superuser
    assert login("admin").get(f"/kasse/{pool_till.pk}/").status_code == 200
