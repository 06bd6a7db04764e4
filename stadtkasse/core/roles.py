"""Staff roles as Django groups with their permissions.

The groups are created after every migration and get the permissions of their role, so
that a new installation has them and a role definition that grew reaches existing ones.
Permissions an administrator added to a group in the admin are kept.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import pgettext_lazy

logger = logging.getLogger(__name__)

CASHIER = "cashier"
SUPERVISOR = "supervisor"
TREASURY = "treasury"
CATALOG_MANAGER = "catalog_manager"
ADMINISTRATOR = "administrator"

# Group names are German, as staff see them in the back office.
ROLE_NAMES = {
    CASHIER: pgettext_lazy("role", "Cashier"),
    SUPERVISOR: pgettext_lazy("role", "Supervisor"),
    TREASURY: pgettext_lazy("role", "Treasury"),
    CATALOG_MANAGER: pgettext_lazy("role", "Catalog manager"),
    ADMINISTRATOR: pgettext_lazy("role", "Administrator"),
}

_CATALOG = [
    f"{action}_{model}"
    for model in ("category", "product", "variant", "applicationfield")
    for action in ("add", "change", "delete", "view")
]
_VIEW_ORDERS = [
    "view_order",
    "view_orderline",
    "view_payment",
    "view_paymentevent",
    "view_refund",
    "view_refundevent",
]

# Permissions per role as "app_label.codename".
ROLE_PERMISSIONS = {
    CASHIER: ["orders.sell_at_counter", "catalog.view_product", "catalog.view_category"],
    SUPERVISOR: [
        "orders.sell_at_counter",
        "orders.view_ledger",
        "orders.export_ledger",
        "payments.refund_payment",
        "payments.clarify_payment",
        *(f"orders.{p}" for p in _VIEW_ORDERS[:2]),
        *(f"payments.{p}" for p in _VIEW_ORDERS[2:]),
        "catalog.view_product",
        "catalog.view_category",
    ],
    TREASURY: [
        "orders.view_ledger",
        "orders.export_ledger",
        "payments.refund_payment",
        "payments.clarify_payment",
        *(f"orders.{p}" for p in _VIEW_ORDERS[:2]),
        *(f"payments.{p}" for p in _VIEW_ORDERS[2:]),
        # The treasury clears payments that need clarification and traces their history.
        "core.view_auditlogentry",
        # The treasury imports bank statements and clears the lines that matched no order.
        "banking.import_statement",
        # The treasury sends direct debits and refund transfers to the bank as SEPA files.
        "sepa.export_debits",
    ],
    CATALOG_MANAGER: [
        *(f"catalog.{p}" for p in _CATALOG),
        "core.view_operator",
        "core.view_pointofsale",
    ],
    ADMINISTRATOR: [
        *(f"catalog.{p}" for p in _CATALOG),
        *(
            f"{app}.{action}_{model}"
            for app, model in [
                ("core", "municipality"),
                ("core", "operator"),
                ("core", "pointofsale"),
                ("auth", "user"),
                ("auth", "group"),
            ]
            for action in ("add", "change", "view")
        ),
        "core.view_auditlogentry",
        "orders.view_ledger",
        "orders.export_ledger",
        *(f"orders.{p}" for p in _VIEW_ORDERS[:2]),
        *(f"payments.{p}" for p in _VIEW_ORDERS[2:]),
    ],
}


def group_name(role: str) -> str:
    """Return the German group name of a role; it does not change with the user's language."""
    from django.utils import translation

    with translation.override("de"):
        return str(ROLE_NAMES[role])


def ensure_roles(**kwargs) -> None:
    """Create the role groups and give each at least the permissions of its role."""
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        query = Q(pk__in=[])
        for entry in wanted:
            app_label, codename = entry.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(query))
        # Add, never remove: permissions an administrator gave a role in the admin stay.
        group.permissions.add(*permissions)
        if len(permissions) != len(set(wanted)):
            logger.debug(
                "role %s: %d of %d permissions exist yet", role, len(permissions), len(set(wanted))
            )
