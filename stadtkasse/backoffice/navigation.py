"""The areas of the back office that a staff user's roles open, for the start page."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The counter app is included at this path in stadtkasse/urls.py.
COUNTER_PATH = "/kasse/"


@dataclass(frozen=True)
class Area:
    title: Promise
    description: Promise
    url: str = ""

    @property
    def available(self) -> bool:
        """Tell whether the area is built yet, because planned areas have no address."""
        return bool(self.url)


def areas_for(user) -> list[Area]:
    """Return the areas the user may open, then the planned ones their roles will open."""
    areas = []
    if user.has_perm("orders.view_ledger"):
        areas.append(
            Area(
                _("Ledger"),
                _("All orders of every channel with totals per VAT rate and payment method."),
                reverse("backoffice:ledger"),
            )
        )
    if user.has_perm("orders.sell_at_counter"):
        areas.append(Area(_("Counter"), _("Sell at a counter or till."), COUNTER_PATH))
    if user.is_staff and _has_admin_module(user):
        areas.append(
            Area(
                _("Administration"),
                _("Catalog, municipality, operators, points of sale and staff accounts."),
                reverse("admin:index"),
            )
        )
    if user.has_perm("payments.clarify_payment"):
        areas.append(
            Area(
                _("Payments to clarify"),
                _("Refund, reassign or accept payments that did not settle their order."),
                reverse("backoffice:clarification_queue"),
            )
        )
    if user.has_perm("banking.import_statement"):
        areas.append(
            Area(
                _("Bank statements"),
                _("Match incoming transfers by Kassenzeichen."),
                reverse("backoffice:bank_statements"),
            )
        )
    if user.has_perm("sepa.export_debits"):
        areas.append(
            Area(
                _("Direct debits and refund transfers"),
                _("Export due direct debits (pain.008) and refunds by transfer (pain.001)."),
                reverse("backoffice:sepa_debits"),
            )
        )
    if user.has_perm("orders.view_ledger"):
        areas.append(
            Area(
                _("Daily closings"),
                _("Close the day and read Z reports."),
            )
        )
    return areas


def _has_admin_module(user) -> bool:
    """Tell whether the Django admin would show the user at least one model."""
    return any(
        user.has_module_perms(app_label)
        for app_label in ("catalog", "core", "orders", "payments", "auth")
    )


def role_names(user) -> list[str]:
    return [group.name for group in user.groups.all()]
