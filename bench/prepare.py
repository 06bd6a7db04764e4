"""Bench data in a demo installation: tills with cashiers, and a catalog of any size.

Run by the benchmarks in a subprocess whose environment points at their own data folder
or database (never at a real installation); each step prints its result as JSON.

    python -m bench.prepare tills --count 8
    python -m bench.prepare products --count 10000
    python -m bench.prepare items
    python -m bench.prepare portal
    python -m bench.prepare orders
"""

import argparse
import json
import os
import secrets
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    if "STADTKASSE_DATA_DIR" not in os.environ:
        sys.exit("STADTKASSE_DATA_DIR is not set; bench.prepare only writes to a bench folder.")
    import django

    django.setup()


def sale_items() -> dict:
    """Return the lines of the counter sale: two products of the Hallenbad."""
    from stadtkasse.catalog.models import Product

    def line(slug: str, variant_name: str | None, quantity: int) -> dict:
        product = Product.objects.get(slug=slug)
        variant = product.variants.get(name=variant_name) if variant_name else None
        return {
            "product": product.pk,
            "variant": variant.pk if variant else None,
            "quantity": quantity,
        }

    return {
        # The counter sale: two adult day tickets and one evening ticket, 10,50 EUR.
        "counter_lines": [line("tageskarte", "Erwachsene", 2), line("abendkarte", None, 1)],
        "counter_total_cents": 2 * 400 + 250,
    }


def portal_items() -> dict:
    """Return the portal cart of the checkout benchmark with the pages a citizen opens."""
    from django.urls import reverse

    from stadtkasse.catalog.models import Product

    lines = []
    # A registration certificate (no application form) and an adult day ticket.
    for slug, variant_name in (("meldebescheinigung", None), ("tageskarte", "Erwachsene")):
        product = Product.objects.get(slug=slug)
        variant = product.variants.get(name=variant_name) if variant_name else None
        lines.append(
            {
                "product": product.pk,
                "variant": variant.pk if variant else None,
                "quantity": 1,
                "url": product.get_absolute_url(),
            }
        )
    return {"lines": lines, "checkout_url": reverse("portal:checkout")}


def create_tills(count: int) -> dict:
    """Create ``count`` tills of the Hallenbad, each with its own cashier account."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from stadtkasse.core.channels import Channel
    from stadtkasse.core.models import Operator, PointOfSale
    from stadtkasse.core.roles import CASHIER, group_name

    pool = Operator.objects.get(slug="hallenbad")
    cashiers = Group.objects.get(name=group_name(CASHIER))
    password = secrets.token_urlsafe(16)
    existing = PointOfSale.objects.filter(operator=pool, slug__startswith="bench-kasse-").count()
    tills = []
    for number in range(existing + 1, existing + count + 1):
        till = PointOfSale.objects.create(
            operator=pool,
            slug=f"bench-kasse-{number}",
            name=f"Bench-Kasse {number}",
            channel=Channel.COUNTER,
        )
        user = get_user_model().objects.create_user(
            username=f"bench.kasse.{number}",
            password=password,
            is_staff=True,
        )
        user.groups.add(cashiers)
        till.cashiers.add(user)
        tills.append(
            {"name": till.slug, "pos_id": till.pk, "username": user.username, "password": password}
        )
    return {"tills": tills, **sale_items()}


def create_products(count: int) -> dict:
    """Add ``count`` products in bulk, half to the Hallenbad and half to the Bürgerbüro."""
    from django.db import transaction

    from stadtkasse.catalog.models import Category, Product, ProductKind, Variant, VatTreatment
    from stadtkasse.core.models import Operator

    targets = [
        (
            Operator.objects.get(slug="hallenbad"),
            Category.objects.get(slug="schwimmen"),
            ProductKind.TICKET,
            VatTreatment.REDUCED,
        ),
        (
            Operator.objects.get(slug="buergerbuero"),
            Category.objects.get(slug="bescheinigungen"),
            ProductKind.FEE,
            VatTreatment.NOT_TAXABLE,
        ),
    ]
    start = Product.objects.filter(slug__startswith="bench-produkt-").count()
    with transaction.atomic():
        products = []
        for number in range(start + 1, start + count + 1):
            operator, category, kind, vat = targets[number % 2]
            products.append(
                Product(
                    municipality_id=operator.municipality_id,
                    operator=operator,
                    category=category,
                    slug=f"bench-produkt-{number}",
                    name=f"Bench-Produkt {number}",
                    kind=kind,
                    vat_treatment=vat,
                    position=100 + number,
                    barcode=f"9{number:07d}",
                )
            )
        created = Product.objects.bulk_create(products, batch_size=500)
        Variant.objects.bulk_create(
            [
                Variant(product=product, name="Standard", price_cents=100 + product.pk % 900)
                for product in created
            ],
            batch_size=500,
        )
    return {"added": count, "products": Product.objects.count()}


def count_orders() -> dict:
    """Count orders per channel and state, to check that every successful sale was stored once."""
    from django.db.models import Count

    from stadtkasse.orders.models import Order

    rows = Order.objects.values("channel", "state").annotate(count=Count("pk"))
    return {f"{row['channel']}/{row['state']}": row["count"] for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    tills = steps.add_parser("tills", help="create tills of the Hallenbad with one cashier each")
    tills.add_argument("--count", type=int, required=True, help="number of tills to create")
    products = steps.add_parser("products", help="add generated products to the catalog")
    products.add_argument("--count", type=int, required=True, help="number of products to add")
    steps.add_parser("items", help="print the lines of the counter sale")
    steps.add_parser("portal", help="print the portal cart and the pages of the checkout")
    steps.add_parser("orders", help="count the stored orders per channel and state")
    args = parser.parse_args()

    _setup_django()
    if args.step == "tills":
        result = create_tills(args.count)
    elif args.step == "products":
        result = create_products(args.count)
    elif args.step == "portal":
        result = portal_items()
    elif args.step == "orders":
        result = count_orders()
    else:
        result = sale_items()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
