"""Django admin of the e-payment platforms; their transactions are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stadtkasse.orders.admin import ReadOnlyAdminMixin
from stadtkasse.xbezahldienste.models import PlatformConfig, PlatformTransaction


@admin.register(PlatformConfig)
class PlatformConfigAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "kind", "auth_type", "is_active"]
    list_filter = ["kind", "auth_type", "is_active"]
    fieldsets = [
        (None, {"fields": ["municipality", "name", "display_name", "kind", "is_active"]}),
        (
            "XBezahldienste",
            {"fields": ["base_url", "originator_id", "endpoint_id", "timeout_seconds"]},
        ),
        (
            _("Authentication"),
            {
                "fields": [
                    "auth_type",
                    "token_url",
                    "client_id",
                    "client_secret_env",
                    "scope",
                    "cert_file",
                    "key_file",
                    "key_password_env",
                    "basic_username",
                    "basic_password_env",
                    "ca_file",
                ]
            },
        ),
        (
            _("Booking data"),
            {"fields": ["purpose_source", "item_reference_source", "booking_keys"]},
        ),
    ]


@admin.register(PlatformTransaction)
class PlatformTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["transaction_id", "platform", "payment", "status", "created_at", "checked_at"]
    list_filter = ["platform", "status"]
    search_fields = ["transaction_id", "transaction_reference", "payment__order__code"]
    list_select_related = ["platform", "payment"]
