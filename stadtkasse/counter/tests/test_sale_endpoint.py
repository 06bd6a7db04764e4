"""The JSON sale endpoint of a till: POST /kasse/<pos_id>/verkauf."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stadtkasse.counter.tests.conftest import new_token
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState


def cash_sale(lines, tendered=1000, token=None) -> dict:
    return {
        "token": token or new_token(),
        "lines": lines,
        "method": "cash",
        "tendered_cents": tendered,
    }


def error_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]


def nothing_stored() -> bool:
    return Order.objects.count() == 0 and Payment.objects.count() == 0


@pytest.fixture
def pool(login):
    return login("kasse.hallenbad")


def test_cash_sale_is_stored_paid(pool, pool_till, post_sale, day_tickets):
    response = post_sale(pool, pool_till, cash_sale(day_tickets(2), tendered=1000))

    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body == {
        "order": order.code,
        "kassenzeichen": order.kassenzeichen_display,
        "total_cents": 800,
        "change_cents": 200,
        "receipt_url": f"/kasse/beleg/{order.code}/",
        "receipt_pdf_url": f"/kasse/beleg/{order.code}.pdf",
    }
    assert order.state == OrderState.PAID
    assert order.channel == "counter"
    assert order.point_of_sale == pool_till
    assert order.cashier.username == "kasse.hallenbad"
    payment = order.payments.get()
    assert (payment.method, payment.state) == (PaymentMethod.CASH, PaymentState.CONFIRMED)
    assert (payment.tendered_cents, payment.change_cents) == (1000, 200)


def test_card_sale_has_no_change(pool, pool_till, post_sale, day_tickets):
    body = {
        "token": new_token(),
        "lines": day_tickets(1),
        "method": "card_external",
        "tendered_cents": None,
    }

    response = post_sale(pool, pool_till, body)

    assert response.status_code == 201
    assert response.json()["change_cents"] is None
    assert Order.objects.get().payments.get().method == PaymentMethod.CARD_EXTERNAL


def test_cash_without_amount_is_taken_as_exact(pool, pool_till, post_sale, day_tickets):
    response = post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=None))

    assert response.status_code == 201
    assert response.json()["change_cents"] == 0


@pytest.mark.parametrize(("tendered", "accepted"), [(50799, True), (50800, False), (100000, False)])
def test_change_of_500_euros_rejected(pool, pool_till, post_sale, day_tickets, tendered, accepted):
    """A customer never hands over a whole 500 € banknote (the largest) above the total."""
    response = post_sale(pool, pool_till, cash_sale(day_tickets(2), tendered=tendered))

    if accepted:
        assert response.status_code == 201
        assert response.json()["change_cents"] == 49999
    else:
        error = error_of(response)
        assert error["code"] == "cash_too_high"
        assert "unplausibel hoch" in error["message"]
        assert nothing_stored()


def test_same_token_returns_the_same_sale(pool, pool_till, post_sale, day_tickets):
    body = cash_sale(day_tickets(2))

    first = post_sale(pool, pool_till, body)
    second = post_sale(pool, pool_till, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("change", ["quantity", "method"])
def test_same_token_for_another_sale_rejected(pool, pool_till, post_sale, day_tickets, change):
    """A token sent again with other items or another method names no retry but an error."""
    body = cash_sale(day_tickets(2))
    first = post_sale(pool, pool_till, body)
    if change == "quantity":
        other = cash_sale(day_tickets(3), tendered=2000, token=body["token"])
    else:
        other = {**body, "method": "card_external", "tendered_cents": None}

    error = error_of(post_sale(pool, pool_till, other))

    assert error["code"] == "token_reused"
    assert first.json()["order"] in error["message"]
    assert "neuen Verkauf" in error["message"]
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_repeat_after_catalog_change(pool, pool_till, post_sale, day_tickets, product):
    """A till that resends a sale must learn that it was made, whatever changed since."""
    body = cash_sale(day_tickets(2), tendered=1000)
    first = post_sale(pool, pool_till, body)
    ticket = product("tageskarte")
    ticket.active = False
    ticket.save()

    second = post_sale(pool, pool_till, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["order"] == first.json()["order"]
    assert Order.objects.count() == 1


def test_tokens_of_two_tills_do_not_collide(
    login, pool_till, office_counter, post_sale, day_tickets, product
):
    token = new_token()
    certificate = product("meldebescheinigung")

    pool_sale = post_sale(
        login("kasse.hallenbad"), pool_till, cash_sale(day_tickets(1), tendered=400, token=token)
    )
    office_sale = post_sale(
        login("kasse.buergerbuero"),
        office_counter,
        cash_sale(
            [{"product": certificate.pk, "variant": None, "quantity": 1}], tendered=500, token=token
        ),
    )

    assert (pool_sale.status_code, office_sale.status_code) == (201, 201)
    assert pool_sale.json()["order"] != office_sale.json()["order"]
    assert Order.objects.count() == 2


def test_cash_below_total(pool, pool_till, post_sale, day_tickets):
    error = error_of(post_sale(pool, pool_till, cash_sale(day_tickets(2), tendered=500)))

    assert error["code"] == "cash_too_low"
    assert error["message"] == (
        "Das gegebene Bargeld (5,00\u00a0€) ist weniger als die Summe von 8,00\u00a0€. "
        "Bitte nehmen Sie mindestens 8,00\u00a0€ an."
    )
    assert error["message_en"] == (
        "The cash given, 5,00\u00a0€, is less than the total of 8,00\u00a0€. "
        "Please take at least 8,00\u00a0€."
    )
    assert nothing_stored()


def test_empty_sale(pool, pool_till, post_sale):
    error = error_of(post_sale(pool, pool_till, cash_sale([])))

    assert error["code"] == "empty_sale"
    assert error["message"] == (
        "Der Verkauf enthält keine Positionen. Bitte fügen Sie mindestens eine Leistung hinzu."
    )
    assert nothing_stored()


def test_product_of_another_place(login, office_counter, post_sale, day_tickets):
    client = login("kasse.buergerbuero")

    error = error_of(post_sale(client, office_counter, cash_sale(day_tickets(1))))

    assert error["code"] == "product_not_available"
    assert error["message"] == (
        "„Tageskarte Hallenbad“ wird hier nicht verkauft. "
        "Bitte wählen Sie eine Leistung, die hier angeboten wird."
    )
    assert nothing_stored()


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_impossible_quantity(pool, pool_till, post_sale, day_tickets, quantity):
    lines = day_tickets(1)
    lines[0]["quantity"] = quantity

    error = error_of(post_sale(pool, pool_till, cash_sale(lines, tendered=50000)))

    assert error["code"] == "invalid_quantity"
    assert error["message"] == (
        f"Die Menge „{quantity}“ ist für „Tageskarte Hallenbad“ nicht möglich. "
        "Bitte geben Sie eine ganze Zahl von 1 bis 100 ein."
    )
    assert nothing_stored()


def test_tampered_product_id(pool, pool_till, post_sale):
    body = cash_sale([{"product": 987654, "variant": None, "quantity": 1}])

    error = error_of(post_sale(pool, pool_till, body))

    assert error["code"] == "unknown_product"
    assert error["message"] == (
        "Die Leistung „987654“ gibt es nicht. Bitte wählen Sie eine Leistung aus der Liste."
    )
    assert nothing_stored()


def test_variant_of_another_product(pool, pool_till, post_sale, day_tickets, product):
    lines = day_tickets(1)
    lines[0]["variant"] = product("abendkarte").variants.get().pk

    error = error_of(post_sale(pool, pool_till, cash_sale(lines)))

    assert error["code"] == "unknown_variant"
    assert nothing_stored()


def test_unknown_payment_method(pool, pool_till, post_sale, day_tickets):
    body = {**cash_sale(day_tickets(1)), "method": "voucher"}

    error = error_of(post_sale(pool, pool_till, body))

    assert error["code"] == "unknown_payment_method"
    assert error["message"] == (
        "Die Zahlungsart „voucher“ ist hier nicht verfügbar. Bitte wählen Sie eine andere."
    )
    assert nothing_stored()


def test_malformed_json(pool, pool_till, post_sale):
    error = error_of(post_sale(pool, pool_till, None, raw=b"{lines: oops"))

    assert error["code"] == "invalid_json"
    assert error["message"] == (
        "Der Verkauf konnte nicht gelesen werden. "
        "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
    )
    assert error["message_en"] == (
        "The sale could not be read. Please reload the page and try again."
    )
    assert nothing_stored()


@pytest.mark.parametrize("field", ["token", "lines", "method"])
def test_missing_field(pool, pool_till, post_sale, day_tickets, field):
    body = cash_sale(day_tickets(1))
    del body[field]

    error = error_of(post_sale(pool, pool_till, body))

    assert error["code"] == "missing_field"
    assert error["message"] == (
        f"Im Verkauf fehlt die Angabe „{field}“. "
        "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
    )
    assert nothing_stored()


def test_line_without_quantity(pool, pool_till, post_sale, day_tickets):
    lines = day_tickets(1)
    del lines[0]["quantity"]

    error = error_of(post_sale(pool, pool_till, cash_sale(lines)))

    assert error["code"] == "missing_field"
    assert "„lines.quantity“" in error["message"]
    assert nothing_stored()


@pytest.mark.parametrize("token", ["", "short", "x" * 41, "not a token!", 12345678])
def test_invalid_token(pool, pool_till, post_sale, day_tickets, token):
    body = {**cash_sale(day_tickets(1)), "token": token}

    error = error_of(post_sale(pool, pool_till, body))

    assert error["code"] == "invalid_token"
    assert error["message"] == (
        "Der Verkauf hat keine gültige Kennung (token). "
        "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
    )
    assert nothing_stored()


@pytest.mark.parametrize("tendered", ["10,00", 10.5, True])
def test_tendered_must_be_whole_cents(pool, pool_till, post_sale, day_tickets, tendered):
    error = error_of(post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=tendered)))

    assert error["code"] == "invalid_amount"
    assert nothing_stored()


def test_lines_not_a_list(pool, pool_till, post_sale):
    body = {"token": new_token(), "lines": {"product": 1}, "method": "cash"}

    error = error_of(post_sale(pool, pool_till, body))

    assert error["code"] == "invalid_field"
    assert nothing_stored()


def test_anonymous_gets_403_json(demo, pool_till, day_tickets):
    response = Client().post(
        f"/kasse/{pool_till.pk}/verkauf",
        data=json.dumps(cash_sale(day_tickets(1))),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_signed_in"
    assert nothing_stored()


@pytest.mark.parametrize(
    "username", ["buerger@musterstadt.example", "katalog", "kasse.buergerbuero"]
)
def test_others_get_403(login, pool_till, post_sale, day_tickets, username):
    response = post_sale(login(username), pool_till, cash_sale(day_tickets(1)))

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "Sie dürfen an dieser Kasse nicht verkaufen. "
        "Bitte lassen Sie sich von der Aufsicht zuordnen.",
        "message_en": "You may not sell at this till. Please ask a supervisor to assign you.",
    }
    assert nothing_stored()


def test_without_csrf_header_nothing_is_sold(pool, pool_till, day_tickets):
    response = pool.post(
        f"/kasse/{pool_till.pk}/verkauf",
        data=json.dumps(cash_sale(day_tickets(1))),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert nothing_stored()


def test_get_is_not_allowed(pool, pool_till):
    assert pool.get(f"/kasse/{pool_till.pk}/verkauf").status_code == 405


def count_queries(client, point_of_sale, post_sale, lines) -> int:
    """Count the queries of a sale whose products this process has priced before."""
    post_sale(client, point_of_sale, cash_sale(lines, tendered=50000))
    with CaptureQueriesContext(connection) as queries:
        response = post_sale(client, point_of_sale, cash_sale(lines, tendered=50000))
    assert response.status_code == 201, response.content
    return len(queries)


def test_queries_per_sale_do_not_grow_with_lines_or_catalog(
    login, office_counter, post_sale, product, demo
):
    from stadtkasse.catalog.models import Category, Product, Variant

    client = login("kasse.buergerbuero")
    one = [{"product": product("meldebescheinigung").pk, "variant": None, "quantity": 1}]
    several = one + [
        {"product": product(slug).pk, "variant": None, "quantity": 2}
        for slug in ("fuehrungszeugnis", "passfoto", "vorlaeufiger-personalausweis")
    ]
    small = count_queries(client, office_counter, post_sale, one)
    many_lines = count_queries(client, office_counter, post_sale, several)
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
        Variant.objects.create(product=extra, name="Stück", price_cents=100)
    big_catalog = count_queries(client, office_counter, post_sale, several)

    assert small == many_lines == big_catalog


class TestBarcode:
    def test_known_code(self, pool, pool_till, product):
        response = pool.get(f"/kasse/{pool_till.pk}/artikel", {"code": "2001"})

        assert response.status_code == 200
        assert response.json() == {
            "product": product("tageskarte").pk,
            "name": "Tageskarte Hallenbad",
        }

    def test_pool_code_at_the_office(self, login, office_counter):
        response = login("kasse.buergerbuero").get(
            f"/kasse/{office_counter.pk}/artikel", {"code": "2001"}
        )

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_available"
        assert response.json()["error"]["message"] == (
            "„Tageskarte Hallenbad“ wird hier nicht verkauft. "
            "Bitte wählen Sie eine Leistung, die hier angeboten wird."
        )

    def test_unknown_code(self, pool, pool_till):
        response = pool.get(f"/kasse/{pool_till.pk}/artikel", {"code": "99999"})

        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "unknown_barcode",
            "message": "Zum Code „99999“ gibt es keinen Artikel. Bitte prüfen Sie den Code "
            "oder wählen Sie den Artikel auf dem Bildschirm.",
            "message_en": "No product has the code “99999”. Please check the code or choose "
            "the product on the screen.",
        }

    def test_other_cashier_gets_403(self, login, pool_till):
        response = login("kasse.buergerbuero").get(
            f"/kasse/{pool_till.pk}/artikel", {"code": "2001"}
        )

        assert response.status_code == 403


def test_fee_with_application_data(login, office_counter, post_sale, product):
    identity_card = product("personalausweis")
    lines = [
        {
            "product": identity_card.pk,
            "variant": None,
            "quantity": 1,
            "answers": {"geburtsdatum": "01.05.1990"},
        }
    ]

    response = post_sale(
        login("kasse.buergerbuero"), office_counter, cash_sale(lines, tendered=5000)
    )

    assert response.status_code == 201
    line = Order.objects.get().lines.get()
    assert line.description == "Personalausweis – 24 Jahre und älter"
    assert line.total_cents == 4600
    assert line.answers["geburtsdatum"]["value"] == "1990-05-01"


def test_fee_without_its_application_data(login, office_counter, post_sale, product):
    lines = [{"product": product("personalausweis").pk, "variant": None, "quantity": 1}]

    error = error_of(
        post_sale(login("kasse.buergerbuero"), office_counter, cash_sale(lines, tendered=5000))
    )

    assert error["code"] == "missing_answer"
    assert nothing_stored()
