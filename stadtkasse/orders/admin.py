"""Django admin of the ledger: orders and their lines, read-only.

The ledger is append-only: a sale is never changed or deleted, a correction is a new
record. The admin therefore only shows orders, for every user including superusers.
"""

from django.contrib import admin

from stadtkasse.orders.models import Order, OrderLine


class ReadOnlyAdminMixin:
    """Allow viewing only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = [
        "description",
        "operator",
        "quantity",
        "unit_price_cents",
        "total_cents",
        "vat_treatment",
        "vat_cents",
        "ledger_account",
        "budget_product",
        "cost_center",
        "answers",
    ]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "kassenzeichen",
        "created_at",
        "channel",
        "point_of_sale",
        "state",
        "total_cents",
    ]
    list_filter = ["state", "channel", "point_of_sale", "created_at"]
    list_select_related = ["point_of_sale__operator"]
    search_fields = ["code", "kassenzeichen"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    exclude = ["submit_token"]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order",
        "description",
        "operator",
        "quantity",
        "total_cents",
        "vat_treatment",
        "ledger_account",
        "budget_product",
        "cost_center",
    ]
    list_filter = ["operator", "vat_treatment", "ledger_account"]
    list_select_related = ["order", "operator"]
    search_fields = ["order__code", "description"]
