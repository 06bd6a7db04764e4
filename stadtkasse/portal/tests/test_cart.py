from stadtkasse.orders.models import CartItem
from stadtkasse.portal.tests.conftest import add

ADULT = "Erwachsene"


def test_add_day_ticket_to_cart(shop, product):
    response = add(shop, product("tageskarte"), ADULT, 2)

    assert response.status_code == 302
    assert response.url == "/warenkorb/"
    item = CartItem.objects.get()
    assert item.quantity == 2
    assert item.variant.name == ADULT


def test_cart_shows_lines_total_and_vat(shop, product):
    add(shop, product("tageskarte"), ADULT, 2)
    add(shop, product("parkticket-24h"))

    response = shop.get("/warenkorb/")
    html = response.content.decode()

    assert response.context["summary"].total_cents == 1300
    assert "13,00\u00a0€" in html
    assert [(v.vat_rate, v.vat_cents) for v in response.context["summary"].vat_totals] == [
        (1900, 80),
        (700, 52),
    ]
    assert "19 % USt." in html
    assert "7 % USt." in html
    assert "Zur Kasse" in html


def test_server_picks_age_price_from_birth_date(shop, product):
    add(shop, product("personalausweis"), geburtsdatum="17.04.1990")
    add(shop, product("personalausweis"), geburtsdatum="17.04.2010")

    response = shop.get("/warenkorb/")

    totals = [row.priced.total_cents for row in response.context["summary"].rows]
    assert totals == [4600, 2760]


def test_posted_price_is_ignored(shop, product):
    ticket = product("tageskarte")
    shop.post(
        f"/leistung/{ticket.slug}/",
        {
            "variant": str(ticket.variants.get(name=ADULT).pk),
            "quantity": "1",
            "price": "1",
            "price_cents": "1",
        },
    )

    assert shop.get("/warenkorb/").context["summary"].total_cents == 400


def test_variant_of_other_product_is_rejected(shop, product):
    other_variant = product("zehnerkarte").variants.first()
    response = shop.post(
        "/leistung/tageskarte/", {"variant": str(other_variant.pk), "quantity": "1"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["variant"] == [
        f"Die Preisstufe „{other_variant.pk}“ gibt es für „Tageskarte Hallenbad“ nicht. "
        "Bitte wählen Sie eine der angebotenen Preisstufen."
    ]
    assert CartItem.objects.count() == 0


def test_missing_variant_asks_for_one(shop):
    response = shop.post("/leistung/tageskarte/", {"quantity": "1"})

    assert response.context["form"].errors["variant"] == [
        "Bitte wählen Sie eine Preisstufe für „Tageskarte Hallenbad“."
    ]


def test_bad_quantities_are_rejected(shop, product):
    for quantity in ["0", "-1", "101", "zwei"]:
        response = add(shop, product("tageskarte"), ADULT, quantity)
        assert response.status_code == 200, quantity
        assert response.context["form"].errors["quantity"] == [
            f"Die Menge „{quantity}“ ist für „Tageskarte Hallenbad“ nicht möglich. "
            "Bitte geben Sie eine ganze Zahl von 1 bis 100 ein."
        ], quantity
    assert CartItem.objects.count() == 0


def test_empty_quantity_asks_for_one(shop, product):
    response = add(shop, product("tageskarte"), ADULT, "")

    assert response.context["form"].errors["quantity"] == [
        "Bitte geben Sie eine Menge für „Tageskarte Hallenbad“ ein, zum Beispiel 1."
    ]
    assert CartItem.objects.count() == 0


def test_missing_birth_date_is_rejected(shop, product):
    response = add(shop, product("personalausweis"))

    assert response.context["form"].errors["antwort_geburtsdatum"] == [
        "Bitte füllen Sie „Geburtsdatum der antragstellenden Person“ für „Personalausweis“ aus."
    ]
    assert CartItem.objects.count() == 0


def test_invalid_birth_date_is_rejected(shop, product):
    response = add(shop, product("personalausweis"), geburtsdatum="31.02.1990")

    assert "antwort_geburtsdatum" in response.context["form"].errors
    assert 'href="#id_antwort_geburtsdatum"' in response.content.decode()
    assert CartItem.objects.count() == 0


def test_change_and_remove_cart_lines(shop, product):
    add(shop, product("tageskarte"), ADULT, 1)
    item = CartItem.objects.get()

    shop.post(f"/warenkorb/{item.pk}/menge/", {"quantity": "3"})
    item.refresh_from_db()
    assert item.quantity == 3

    response = shop.post(f"/warenkorb/{item.pk}/menge/", {"quantity": "101"}, follow=True)
    item.refresh_from_db()
    assert item.quantity == 3
    assert "Bitte geben Sie eine ganze Zahl von 1 bis 100 ein." in response.content.decode()

    shop.post(f"/warenkorb/{item.pk}/entfernen/")
    assert CartItem.objects.count() == 0


def test_other_session_cannot_change_cart(shop, product, client_factory):
    add(shop, product("tageskarte"), ADULT, 1)
    item = CartItem.objects.get()

    client_factory().post(f"/warenkorb/{item.pk}/entfernen/")

    assert CartItem.objects.filter(pk=item.pk).exists()


def test_empty_cart_has_no_checkout(shop):
    html = shop.get("/warenkorb/").content.decode()

    assert "Ihr Warenkorb ist leer." in html
    assert "Zur Kasse" not in html
