from datetime import date

import pytest

from stadtkasse.core.channels import Channel
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.pricing import LineRequest, price_lines

TODAY = date(2026, 12, 4)


def price(demo, *requests, channel=Channel.PORTAL, point_of_sale=None):
    return price_lines(
        demo, list(requests), channel=channel, point_of_sale=point_of_sale, today=TODAY
    )


def id_card(product, birth_date):
    card = product("personalausweis")
    return LineRequest(card.pk, None, 1, {"geburtsdatum": birth_date})


def test_id_card_price_for_applicant_aged_24(demo, product):
    (line,) = price(demo, id_card(product, "2002-12-04"))

    assert line.unit_price_cents == 4600
    assert line.variant.name == "24 Jahre und älter"


def test_id_card_price_day_before_24th_birthday(demo, product):
    (line,) = price(demo, id_card(product, "05.12.2002"))

    assert line.unit_price_cents == 2760


def test_id_card_variant_id_from_client_ignored(demo, product):
    card = product("personalausweis")
    cheap = card.variants.get(max_age=23)
    request = LineRequest(card.pk, cheap.pk, 1, {"geburtsdatum": "1980-01-01"})

    (line,) = price(demo, request)

    assert line.unit_price_cents == 4600


def test_id_card_without_birth_date(demo, product):
    with pytest.raises(SaleError) as raised:
        price(demo, id_card(product, ""))

    assert raised.value.message == (
        "Bitte füllen Sie „Geburtsdatum der antragstellenden Person“ für „Personalausweis“ aus."
    )


def test_id_card_birth_date_invalid(demo, product):
    with pytest.raises(SaleError) as raised:
        price(demo, id_card(product, "31.02.1990"))

    assert raised.value.code == "invalid_date"
    assert "„31.02.1990“" in raised.value.message


def test_id_card_birth_date_in_future(demo, product):
    with pytest.raises(SaleError) as raised:
        price(demo, id_card(product, "2030-01-01"))

    assert raised.value.code == "date_in_future"


def test_answers_not_asked_are_dropped(demo, product):
    card = product("personalausweis")
    request = LineRequest(card.pk, None, 1, {"geburtsdatum": "1980-01-01", "price": "1"})

    (line,) = price(demo, request)

    assert set(line.answers) == {"geburtsdatum"}
    assert line.answers["geburtsdatum"]["value"] == "1980-01-01"


@pytest.mark.parametrize("quantity", [0, -1, 101, "zwei", "1.5", True])
def test_quantity_out_of_range(demo, product, quantity):
    ticket = product("abendkarte")

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(ticket.pk, None, quantity))

    assert raised.value.code == "invalid_quantity"


def test_quantity_message_names_value(demo, product):
    ticket = product("abendkarte")

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(ticket.pk, None, 0))

    assert raised.value.message == (
        "Die Menge „0“ ist für „Abendkarte ab 18 Uhr“ nicht möglich. "
        "Bitte geben Sie eine ganze Zahl von 1 bis 100 ein."
    )


@pytest.mark.parametrize("product_id", [999999, "abc", "", None])
def test_unknown_product(demo, product_id):
    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(product_id, None, 1))

    assert raised.value.code == "unknown_product"


def test_variant_of_other_product_rejected(demo, product):
    ticket = product("tageskarte")
    other = product("zehnerkarte").variants.first()

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(ticket.pk, other.pk, 1))

    assert raised.value.code == "unknown_variant"


def test_product_not_sold_online(demo, product):
    photo = product("passfoto")

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(photo.pk, None, 1))

    assert raised.value.code == "product_not_available"


def test_inactive_product_not_sold(demo, product):
    ticket = product("abendkarte")
    ticket.active = False
    ticket.save()

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(ticket.pk, None, 1))

    assert raised.value.code == "product_not_available"


def test_empty_request(demo):
    with pytest.raises(SaleError) as raised:
        price(demo)

    assert raised.value.code == "empty_sale"


def test_line_vat_and_description(demo, product):
    ticket = product("tageskarte")
    family = ticket.variants.get(name="Familie")

    (line,) = price(demo, LineRequest(ticket.pk, family.pk, 3))

    assert line.total_cents == 2700
    assert line.vat_cents == 177  # 27.00 - 27.00 / 1.07 = 1.766
    assert line.description == "Tageskarte Hallenbad – Familie"


def test_queries_constant_with_catalog_size(demo, product, django_assert_max_num_queries):
    ticket = product("tageskarte")
    requests = [LineRequest(ticket.pk, v.pk, 1) for v in ticket.variants.all()]
    requests.append(id_card(product, "1990-05-05"))

    with django_assert_max_num_queries(5):
        price(demo, *requests)


@pytest.mark.parametrize("quantity", [None, "", "  "])
def test_quantity_missing(demo, product, quantity):
    ticket = product("abendkarte")

    with pytest.raises(SaleError) as raised:
        price(demo, LineRequest(ticket.pk, None, quantity))

    assert raised.value.message == (
        "Bitte geben Sie eine Menge für „Abendkarte ab 18 Uhr“ ein, zum Beispiel 1."
    )


def test_application_line_is_for_one_person(demo, product):
    card = product("personalausweis")
    request = LineRequest(card.pk, None, 2, {"geburtsdatum": "1980-01-01"})

    with pytest.raises(SaleError) as raised:
        price(demo, request)

    assert raised.value.code == "one_per_application"


def test_birth_date_too_far_back(demo, product):
    with pytest.raises(SaleError) as raised:
        price(demo, id_card(product, "01.01.1890"))

    assert raised.value.message == (
        "Das Datum 01.01.1890 für „Geburtsdatum der antragstellenden Person“ liegt mehr als "
        "120 Jahre zurück. Bitte prüfen Sie es."
    )
