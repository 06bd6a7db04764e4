from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.models import AuditLogEntry, Municipality, Operator, PointOfSale


class OperatorInline(admin.TabularInline):
    model = Operator
    extra = 0
    fields = ["name", "slug", "vat_id"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "domain"]
    inlines = [OperatorInline]
    readonly_fields = ["kassenzeichen_next"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "domain", "address", "email", "phone"]}),
        (
            _("Kassenzeichen"),
            {
                "fields": [
                    "kassenzeichen_prefix", "kassenzeichen_width", "kassenzeichen_method",
                    "kassenzeichen_next",
                ]
            },
        ),
        (
            _("Legal pages of the portal"),
            {"fields": ["imprint", "privacy_policy", "accessibility_statement"]},
        ),
    ]


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "slug"]
    list_filter = ["municipality"]


@admin.register(PointOfSale)
class PointOfSaleAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "channel", "active"]
    list_filter = ["operator", "channel", "active"]
    filter_horizontal = ["cashiers"]


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "user"]
    list_filter = ["action"]
    search_fields = ["object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
