"""The per-process copy of a till: changes by staff count at the next request."""

import pytest

from stadtkasse.orders.models import Order

from .test_sale_endpoint import cash_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(login):
    return login("kasse.hallenbad")


def test_deactivated_till_sells_nothing(pool, pool_till, post_sale, day_tickets):
    assert post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400)).status_code == 201

    pool_till.active = False
    pool_till.save()
    response = post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))

    assert response.status_code == 404
    assert Order.objects.count() == 1


def test_removed_cashier_is_rejected(pool, pool_till, post_sale, day_tickets):
    assert post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400)).status_code == 201

    pool_till.cashiers.clear()
    response = post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))

    assert response.status_code == 403
    assert Order.objects.count() == 1


def test_cashier_without_group_is_rejected(pool, pool_till, post_sale, day_tickets):
    assert post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400)).status_code == 201

    for cashier in pool_till.cashiers.all():
        cashier.groups.clear()
    response = post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))

    assert response.status_code == 403


def test_renamed_till_shows_new_name(pool, pool_till, post_sale, day_tickets):
    post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))

    pool_till.name = "Kasse Eingang Nord"
    pool_till.save()
    page = pool.get(f"/kasse/{pool_till.pk}/")

    assert "Kasse Eingang Nord" in page.content.decode()


def test_new_kassenzeichen_prefix_counts_at_once(pool, pool_till, post_sale, day_tickets):
    post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))
    town = pool_till.operator.municipality
    town.kassenzeichen_prefix = "77"
    town.save()

    response = post_sale(pool, pool_till, cash_sale(day_tickets(1), tendered=400))

    assert response.json()["kassenzeichen"].replace(".", "").startswith("77")
