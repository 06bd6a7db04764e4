"""Django admin of the organisation: municipality, operators, points of sale, staff and roles."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.auth import StaffAdminAuthenticationForm
from stadtkasse.core.models import AuditLogEntry, Municipality, Operator, PointOfSale
from stadtkasse.core.roles import ROLE_PERMISSIONS, group_name

admin.site.site_header = _("Stadtkasse – administration")
admin.site.login_form = StaffAdminAuthenticationForm
admin.site.site_title = _("Stadtkasse – administration")
admin.site.index_title = _("Catalog, organisation and staff")


class OperatorInline(admin.TabularInline):
    model = Operator
    extra = 0
    fields = ["name", "slug", "vat_id"]
    show_change_link = True


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "domain"]
    search_fields = ["name", "slug", "domain"]
    inlines = [OperatorInline]
    readonly_fields = ["kassenzeichen_next"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "domain", "address", "email", "phone"]}),
        (
            _("Kassenzeichen"),
            {
                "fields": [
                    "kassenzeichen_prefix",
                    "kassenzeichen_width",
                    "kassenzeichen_method",
                    "kassenzeichen_next",
                ]
            },
        ),
        (
            _("Legal pages of the portal"),
            {
                "fields": ["imprint", "privacy_policy", "accessibility_statement"],
                "description": _(
                    "The portal shows these texts on its pages Impressum, "
                    "Datenschutzerklärung and Erklärung zur Barrierefreiheit."
                ),
            },
        ),
    ]


class PointOfSaleInline(admin.TabularInline):
    model = PointOfSale
    extra = 0
    fields = ["name", "slug", "channel", "active"]
    show_change_link = True


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "slug", "vat_id"]
    list_filter = ["municipality"]
    search_fields = ["name", "slug"]
    inlines = [PointOfSaleInline]


@admin.register(PointOfSale)
class PointOfSaleAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "channel", "active"]
    list_filter = ["operator", "channel", "active"]
    list_select_related = ["operator"]
    search_fields = ["name", "slug", "operator__name"]
    filter_horizontal = ["cashiers"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "cashiers":
            # Only staff accounts can sell; citizens' accounts are left out of the list.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "user"]
    list_filter = ["action"]
    list_select_related = ["user"]
    search_fields = ["object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def role_group_names() -> set[str]:
    return {group_name(role) for role in ROLE_PERMISSIONS}


class StaffUserChangeForm(UserChangeForm):
    """User form that rejects a role for an account without staff status."""

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is None or cleaned.get("is_staff"):
            return cleaned
        roles = sorted(group.name for group in groups if group.name in role_group_names())
        if roles:
            self.add_error(
                "is_staff",
                forms.ValidationError(
                    _(
                        "The account has the role %(roles)s but no staff status, so it cannot "
                        "sign in to the back office. Please tick “Staff status” or remove the role."
                    ),
                    code="role_without_staff",
                    params={"roles": ", ".join(roles)},
                ),
            )
        return cleaned


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Staff and citizen accounts with their roles (groups)."""

    form = StaffUserChangeForm
    list_display = ["username", "first_name", "last_name", "is_staff", "roles", "is_active"]
    list_filter = ["is_staff", "is_active", "groups"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser may grant superuser status or single permissions. Other
            # administrators grant rights through roles.
            readonly += ["is_superuser", "user_permissions"]
        return readonly
