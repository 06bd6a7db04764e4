"""The German Django admin: every page loads, the ledger models are read-only, roles fit."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from stadtkasse.catalog.models import ApplicationField, Category, Product, Variant
from stadtkasse.core.models import AuditLogEntry, Municipality, Operator, PointOfSale
from stadtkasse.core.roles import (
    ADMINISTRATOR,
    CASHIER,
    CATALOG_MANAGER,
    SUPERVISOR,
    TREASURY,
    group_name,
)
from stadtkasse.orders.models import Order, OrderLine
from stadtkasse.payments.models import Payment

MODELS = [
    Municipality,
    Operator,
    PointOfSale,
    AuditLogEntry,
    Category,
    Product,
    Order,
    OrderLine,
    Payment,
    get_user_model(),
    Group,
]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def administrator(login, mixed_orders):
    return login("admin")


def test_admin_index_german(administrator):
    html = administrator.get(reverse("admin:index")).content.decode()

    assert "Stadtkasse – Verwaltung" in html
    assert 'lang="de"' in html


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_loads(administrator, model):
    assert administrator.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_change_form_loads(administrator, model):
    obj = model.objects.order_by("pk").first()

    assert administrator.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    "model",
    [Municipality, Operator, PointOfSale, Category, Product],
    ids=lambda model: model.__name__,
)
def test_add_form_loads(administrator, model):
    assert administrator.get(admin_url(model, "add")).status_code == 200


def test_changelist_search_and_filter(administrator):
    assert (
        administrator.get(admin_url(Product, "changelist"), {"q": "Tageskarte"}).status_code == 200
    )
    response = administrator.get(admin_url(Order, "changelist"), {"state__exact": "paid"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Order, OrderLine, Payment], ids=lambda model: model.__name__)
def test_ledger_models_cannot_be_added(administrator, model):
    assert administrator.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", [Order, OrderLine, Payment], ids=lambda model: model.__name__)
def test_ledger_models_cannot_be_deleted(administrator, model):
    obj = model.objects.order_by("pk").first()

    assert (
        administrator.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_order_change_form_read_only(administrator, mixed_orders):
    order = mixed_orders["pool_cash"]

    html = administrator.get(admin_url(Order, "change", order.pk)).content.decode()
    response = administrator.post(admin_url(Order, "change", order.pk), {"state": "canceled"})

    assert 'name="state"' not in html
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == "paid"


def test_order_form_shows_lines(administrator, mixed_orders):
    order = mixed_orders["office_cash"]

    html = administrator.get(admin_url(Order, "change", order.pk)).content.decode()

    assert "Passfoto (digital, im Bürgerbüro)" in html
    assert "Meldebescheinigung" in html


def test_product_form_groups_fieldsets(administrator, product):
    html = administrator.get(
        admin_url(Product, "change", product("tageskarte").pk)
    ).content.decode()

    assert "Umsatzsteuer und Buchung" in html
    assert "Kanäle" in html
    assert 'name="variants-0-price_cents"' in html
    assert 'name="fields-TOTAL_FORMS"' in html


def test_municipality_form_has_legal_pages(administrator, demo):
    html = administrator.get(admin_url(Municipality, "change", demo.pk)).content.decode()

    assert 'name="imprint"' in html
    assert 'name="privacy_policy"' in html
    assert 'name="accessibility_statement"' in html
    assert "Pflichtseiten des Portals" in html


def test_user_list_shows_roles(administrator):
    html = administrator.get(admin_url(get_user_model(), "changelist")).content.decode()

    assert "Kassenaufsicht" in html
    assert "Katalogpflege" in html


@pytest.fixture
def catalog_client(login, demo):
    return login("katalog")


def test_catalog_manager_adds_product(catalog_client, demo):
    office = Operator.objects.get(slug="buergerbuero")
    category = Category.objects.get(slug="bescheinigungen")
    data = {
        "municipality": demo.pk,
        "operator": office.pk,
        "category": category.pk,
        "name": "Beglaubigung",
        "slug": "beglaubigung",
        "kind": "fee",
        "vat_treatment": "not_taxable",
        "active": "on",
        "position": "0",
        "sold_portal": "on",
        "sold_counter": "on",
        "ledger_account": "431100",
        "budget_product": "122010",
        "cost_center": "1220",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-name": "je Seite",
        "variants-0-price_cents": "500",
        "variants-0-position": "0",
        "variants-0-active": "on",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "fields-0-label": "Anzahl Seiten",
        "fields-0-key": "seiten",
        "fields-0-kind": "number",
        "fields-0-required": "on",
        "fields-0-position": "0",
    }

    response = catalog_client.post(admin_url(Product, "add"), data)

    assert response.status_code == 302
    created = Product.objects.get(slug="beglaubigung")
    assert Variant.objects.get(product=created).price_cents == 500
    assert ApplicationField.objects.get(product=created).key == "seiten"


def test_catalog_manager_cannot_change_organisation(catalog_client, demo):
    assert catalog_client.get(admin_url(Municipality, "change", demo.pk)).status_code == 403
    assert catalog_client.get(admin_url(get_user_model(), "changelist")).status_code == 403


def test_treasury_reads_orders_in_admin(login, mixed_orders):
    client = login("stadtkasse")

    assert client.get(admin_url(Order, "changelist")).status_code == 200
    assert client.get(admin_url(Product, "changelist")).status_code == 403


def test_cashier_cannot_read_orders_in_admin(login, mixed_orders):
    assert login("kasse.hallenbad").get(admin_url(Order, "changelist")).status_code == 403


def test_role_group_names(demo):
    assert [
        group_name(role) for role in (CASHIER, SUPERVISOR, TREASURY, CATALOG_MANAGER, ADMINISTRATOR)
    ] == [
        "Kasse",
        "Kassenaufsicht",
        "Stadtkasse",
        "Katalogpflege",
        "Administration",
    ]


@pytest.mark.parametrize(
    ("role", "permission", "granted"),
    [
        (CASHIER, "orders.sell_at_counter", True),
        (CASHIER, "orders.view_ledger", False),
        (SUPERVISOR, "orders.view_ledger", True),
        (SUPERVISOR, "orders.export_ledger", True),
        (TREASURY, "orders.view_ledger", True),
        (TREASURY, "orders.export_ledger", True),
        (TREASURY, "orders.change_order", False),
        (TREASURY, "core.view_auditlogentry", True),
        (CATALOG_MANAGER, "catalog.change_product", True),
        (CATALOG_MANAGER, "catalog.add_variant", True),
        (CATALOG_MANAGER, "catalog.add_applicationfield", True),
        (CATALOG_MANAGER, "orders.view_ledger", False),
        (ADMINISTRATOR, "core.change_municipality", True),
        (ADMINISTRATOR, "auth.change_user", True),
        (ADMINISTRATOR, "orders.view_ledger", True),
        (ADMINISTRATOR, "orders.delete_order", False),
    ],
)
def test_role_permissions(demo, role, permission, granted):
    app_label, codename = permission.split(".")
    group = Group.objects.get(name=group_name(role))

    assert (
        group.permissions.filter(content_type__app_label=app_label, codename=codename).exists()
        is granted
    )


def test_role_without_staff_status_rejected(administrator):
    user = get_user_model().objects.get(username="katalog")
    group = Group.objects.get(name=group_name(CATALOG_MANAGER))
    data = {
        "username": "katalog",
        "first_name": "Kim",
        "last_name": "Katalog",
        "email": "katalog@musterstadt.example",
        "is_active": "on",
        "groups": [group.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "01.12.2026",
        "date_joined_1": "10:00:00",
    }

    response = administrator.post(admin_url(get_user_model(), "change", user.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_staff"] == [
        "Das Konto hat die Rolle Katalogpflege, aber keinen Mitarbeiter-Status. Es kann "
        "sich daher nicht in der Verwaltung anmelden. Bitte setzen Sie den Haken bei "
        "„Mitarbeiter-Status“ oder entfernen Sie die Rolle."
    ]
    user.refresh_from_db()
    assert user.is_staff
