"""Django admin of payments and their events, read-only like the rest of the ledger."""

from django.contrib import admin

from stadtkasse.orders.admin import ReadOnlyAdminMixin
from stadtkasse.payments.models import Payment, PaymentEvent, Refund, RefundEvent


class PaymentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = ["created_at", "from_state", "to_state", "cause", "data"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "order",
        "method",
        "state",
        "amount_cents",
        "created_at",
        "needs_clarification",
    ]
    list_filter = ["method", "state", "needs_clarification", "provider"]
    list_select_related = ["order"]
    search_fields = ["order__code", "order__kassenzeichen", "provider_reference"]
    inlines = [PaymentEventInline]


class RefundEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundEvent
    extra = 0
    fields = ["created_at", "from_state", "to_state", "cause", "user", "data"]
    readonly_fields = fields


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "payment", "kind", "method", "state", "amount_cents", "created_at"]
    list_filter = ["kind", "method", "state"]
    list_select_related = ["payment"]
    search_fields = ["payment__order__code", "payment__order__kassenzeichen", "provider_reference"]
    inlines = [RefundEventInline]
