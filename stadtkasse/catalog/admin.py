"""Django admin of the catalog: categories and products with prices and application forms."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stadtkasse.catalog.models import ApplicationField, Category, Product, Variant


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "position"]
    list_editable = ["position"]
    list_filter = ["municipality"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    min_num = 1
    fields = ["name", "price_cents", "min_age", "max_age", "position", "active"]


class ApplicationFieldInline(admin.StackedInline):
    model = ApplicationField
    extra = 0
    fields = [("label", "key"), ("kind", "required", "position"), "help_text", "choices"]
    prepopulated_fields = {"key": ["label"]}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "category", "kind", "vat_treatment", "active", "featured"]
    list_filter = [
        "operator",
        "category",
        "kind",
        "vat_treatment",
        "active",
        "featured",
        "sold_portal",
        "sold_counter",
        "sold_kiosk",
        "sold_api",
    ]
    list_select_related = ["operator", "category"]
    search_fields = ["name", "slug", "barcode", "short_description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["points_of_sale"]
    inlines = [VariantInline, ApplicationFieldInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "municipality",
                    "operator",
                    "category",
                    "name",
                    "slug",
                    "kind",
                    "short_description",
                    "description",
                    "image",
                    "barcode",
                ]
            },
        ),
        (_("Display in the portal"), {"fields": ["active", "featured", "position"]}),
        (
            _("Channels"),
            {
                "fields": [
                    "sold_portal",
                    "sold_counter",
                    "sold_kiosk",
                    "sold_api",
                    "points_of_sale",
                ],
                "description": _("Where the product is sold."),
            },
        ),
        (
            _("VAT and booking targets"),
            {
                "fields": ["vat_treatment", "ledger_account", "budget_product", "cost_center"],
                "description": _(
                    "Each sale copies these values onto its order line; a change applies "
                    "to later sales only."
                ),
            },
        ),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "points_of_sale":
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("operator")
        return super().formfield_for_manytomany(db_field, request, **kwargs)
