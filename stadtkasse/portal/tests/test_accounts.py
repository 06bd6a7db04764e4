import re

from django.contrib.auth import get_user_model
from django.test import Client

from stadtkasse.core.channels import Channel
from stadtkasse.orders.pricing import LineRequest, price_lines
from stadtkasse.orders.services import create_order
from stadtkasse.portal.models import CitizenProfile

PASSWORD = "Sonnenblume-Rathaus-7"


def register(client, email="neu@example.de", password=PASSWORD, repeat=None):
    return client.post(
        "/konto/registrieren/",
        {
            "email": email,
            "first_name": "Nora",
            "last_name": "Neu",
            "password1": password,
            "password2": repeat or password,
        },
    )


def counter_order(municipality, product, email):
    lines = price_lines(
        municipality,
        [LineRequest(product.pk, product.variants.first().pk, 1)],
        channel=Channel.COUNTER,
    )
    return create_order(municipality, lines, channel=Channel.COUNTER, email=email)


def test_register_creates_unverified_citizen(shop, mailoutbox):
    response = register(shop, email="Neu@Example.de")

    user = get_user_model().objects.get(username="neu@example.de")
    assert response.status_code == 302
    assert response.url == "/konto/bestellungen/"
    assert user.email == "neu@example.de"
    assert not user.is_staff
    assert CitizenProfile.objects.get(user=user).email_verified is False
    assert len(mailoutbox) == 1
    assert "/konto/bestaetigen/" in mailoutbox[0].body


def test_register_rejects_weak_password(shop):
    response = register(shop, password="12345678")

    assert response.status_code == 200
    assert "Dieses Passwort ist zu üblich." in response.context["form"].errors["password1"]
    assert not get_user_model().objects.filter(username="neu@example.de").exists()


def test_register_rejects_differing_passwords(shop):
    response = register(shop, repeat="anders-anders-9")

    assert response.context["form"].errors["password2"] == [
        "Die beiden Passwörter sind verschieden. Bitte geben Sie zweimal dasselbe Passwort ein."
    ]


def test_register_rejects_taken_address(shop):
    response = register(shop, email="buerger@musterstadt.example")

    assert response.context["form"].errors["email"] == [
        "Für die E-Mail-Adresse „buerger@musterstadt.example“ gibt es bereits ein Konto. "
        "Bitte melden Sie sich an oder verwenden Sie eine andere Adresse."
    ]


def test_register_rejects_invalid_address(shop):
    response = register(shop, email="neu@")

    assert "email" in response.context["form"].errors


def test_login_and_logout(shop):
    response = shop.post(
        "/konto/anmelden/",
        {
            "email": "Buerger@Musterstadt.example",
            "password": "musterstadt",
        },
    )
    assert response.status_code == 302
    assert shop.get("/konto/bestellungen/").status_code == 200

    shop.post("/konto/abmelden/")
    assert shop.get("/konto/bestellungen/").status_code == 302


def test_login_with_wrong_password(shop):
    response = shop.post(
        "/konto/anmelden/",
        {
            "email": "buerger@musterstadt.example",
            "password": "falsch",
        },
    )

    assert response.status_code == 200
    assert "Die E-Mail-Adresse oder das Passwort ist falsch." in response.content.decode()


def test_staff_cannot_log_in_to_portal(shop):
    response = shop.post("/konto/anmelden/", {"email": "admin", "password": "musterstadt"})

    assert "Dies ist ein Konto für Beschäftigte." in response.content.decode()
    assert "_auth_user_id" not in shop.session


def test_logout_needs_post(shop):
    assert shop.get("/konto/abmelden/").status_code == 405


def test_history_shows_counter_orders_of_verified_address(shop, demo, product):
    counter = counter_order(demo, product("tageskarte"), "buerger@musterstadt.example")
    shop.post(
        "/konto/anmelden/", {"email": "buerger@musterstadt.example", "password": "musterstadt"}
    )

    response = shop.get("/konto/bestellungen/")

    assert [order.code for order in response.context["orders"]] == [counter.code]
    assert response.context["orders"][0].get_channel_display() == "Kasse"


def test_history_hides_address_orders_until_verified(shop, demo, product, mailoutbox):
    guest = counter_order(demo, product("tageskarte"), "neu@example.de")
    register(shop)

    before = shop.get("/konto/bestellungen/")
    link = re.search(r"http://testserver(/konto/bestaetigen/\S+/)", mailoutbox[0].body).group(1)
    shop.get(link)
    after = shop.get("/konto/bestellungen/")

    assert list(before.context["orders"]) == []
    assert [order.code for order in after.context["orders"]] == [guest.code]


def test_broken_verification_link(shop):
    response = shop.get("/konto/bestaetigen/kaputt/", follow=True)

    assert "Der Bestätigungslink ist ungültig oder älter als 7 Tage." in response.content.decode()


def test_login_keeps_guest_cart(shop, product):
    from stadtkasse.portal.tests.conftest import add

    add(shop, product("tageskarte"), "Erwachsene", 2)
    shop.post(
        "/konto/anmelden/", {"email": "buerger@musterstadt.example", "password": "musterstadt"}
    )

    assert shop.get("/warenkorb/").context["summary"].total_cents == 800


def test_login_rejects_foreign_next(shop):
    response = shop.post(
        "/konto/anmelden/?next=https://example.org/",
        {
            "email": "buerger@musterstadt.example",
            "password": "musterstadt",
        },
    )

    assert response.url == "/konto/bestellungen/"


def test_other_citizen_cannot_see_order(shop, demo, product):
    order = counter_order(demo, product("tageskarte"), "buerger@musterstadt.example")
    register(shop)

    assert shop.get(f"/bestellung/{order.code}/").status_code == 404
    assert Client().get(f"/bestellung/{order.code}/").status_code == 404
