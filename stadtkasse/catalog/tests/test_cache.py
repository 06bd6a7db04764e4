"""The per-process product copy: reused while the catalog is unchanged, renewed on change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stadtkasse.catalog import cache
from stadtkasse.catalog.models import ApplicationField, Product
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.pricing import LineRequest, price_lines

pytestmark = pytest.mark.django_db


def fresh(town: Municipality) -> Municipality:
    """Read the municipality again, as each request does."""
    return Municipality.objects.get(pk=town.pk)


def price(town, product, variant=None, point_of_sale=None, channel=Channel.COUNTER):
    (line,) = price_lines(
        fresh(town),
        [LineRequest(product.pk, variant.pk if variant else None, 1)],
        channel=channel,
        point_of_sale=point_of_sale,
    )
    return line


def test_second_sale_reads_no_product(demo, product, pool_till):
    ticket = product("abendkarte")
    price(demo, ticket, point_of_sale=pool_till)
    town = fresh(demo)

    with CaptureQueriesContext(connection) as queries:
        price_lines(
            town, [LineRequest(ticket.pk)], channel=Channel.COUNTER, point_of_sale=pool_till
        )

    assert len(queries) == 0


def test_new_price_counts_at_once(demo, product, pool_till):
    ticket = product("abendkarte")
    assert price(demo, ticket, point_of_sale=pool_till).total_cents == 250

    variant = ticket.variants.get()
    variant.price_cents = 300
    variant.save()

    assert price(demo, ticket, point_of_sale=pool_till).total_cents == 300


def test_deactivated_product_is_refused_at_once(demo, product, pool_till):
    ticket = product("abendkarte")
    price(demo, ticket, point_of_sale=pool_till)

    ticket.active = False
    ticket.save()

    with pytest.raises(SaleError) as raised:
        price(demo, ticket, point_of_sale=pool_till)
    assert raised.value.code == "product_not_available"


def test_listing_for_another_till_counts_at_once(demo, product, pool_till, office_counter):
    ticket = product("abendkarte")
    price(demo, ticket, point_of_sale=pool_till)

    ticket.points_of_sale.set([office_counter])

    with pytest.raises(SaleError):
        price(demo, ticket, point_of_sale=pool_till)


def test_listing_changed_from_the_till_side_counts(demo, product, pool_till, office_counter):
    ticket = product("abendkarte")
    price(demo, ticket, point_of_sale=pool_till)

    office_counter.products.add(ticket)

    with pytest.raises(SaleError):
        price(demo, ticket, point_of_sale=pool_till)


def test_new_application_field_counts_at_once(demo, product):
    certificate = product("meldebescheinigung")
    price(demo, certificate, channel=Channel.PORTAL)

    ApplicationField.objects.create(
        product=certificate, key="reason", label="Zweck", kind="text", required=True
    )

    with pytest.raises(SaleError) as raised:
        price(demo, certificate, channel=Channel.PORTAL)
    assert raised.value.code == "missing_answer"


def test_product_made_after_an_unknown_id_is_found(demo, product):
    certificate = product("meldebescheinigung")
    unknown = Product.objects.order_by("-pk").first().pk + 1
    with pytest.raises(SaleError):
        price_lines(fresh(demo), [LineRequest(unknown)], channel=Channel.PORTAL)

    copy = Product.objects.get(pk=certificate.pk)
    copy.pk = None
    copy.slug = "kopie"
    copy.save()
    copy.variants.create(name="", price_cents=700)

    assert price(demo, copy, channel=Channel.PORTAL).total_cents == 700


def test_copy_expires_without_a_version_change(demo, product, pool_till, monkeypatch):
    ticket = product("abendkarte")
    price(demo, ticket, point_of_sale=pool_till)
    # A change by hand in the database does not raise the version.
    ticket.variants.update(price_cents=260)
    assert price(demo, ticket, point_of_sale=pool_till).total_cents == 250

    monkeypatch.setattr(cache, "MAX_AGE_SECONDS", -1)

    assert price(demo, ticket, point_of_sale=pool_till).total_cents == 260


def test_operator_change_raises_the_version(demo):
    before = fresh(demo).config_version
    operator = Operator.objects.filter(municipality=demo).first()
    operator.name += " (neu)"
    operator.save()

    assert fresh(demo).config_version > before


def test_saving_an_old_municipality_keeps_the_counters(demo, pool_till, product):
    """A form opened before a sale must not set the running number back."""
    opened = fresh(demo)
    price(demo, product("abendkarte"), point_of_sale=pool_till)
    Municipality.objects.filter(pk=demo.pk).update(kassenzeichen_next=500)
    ticket = product("abendkarte")
    ticket.save()  # raises the configuration version

    opened.name = "Stadt Musterstadt (neu)"
    opened.save()

    stored = fresh(demo)
    assert stored.name == "Stadt Musterstadt (neu)"
    assert stored.kassenzeichen_next == 500
    assert stored.config_version > opened.config_version


def test_point_of_sale_of_another_operator_is_refused(demo, product):
    ticket = product("abendkarte")
    other = (
        PointOfSale.objects.exclude(operator=ticket.operator)
        .filter(channel=Channel.COUNTER)
        .first()
    )

    with pytest.raises(SaleError):
        price(demo, ticket, point_of_sale=other)
