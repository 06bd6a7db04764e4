from django.contrib import admin

from stadtkasse.terminals.models import TerminalConfig, TerminalTransaction


@admin.register(TerminalConfig)
class TerminalConfigAdmin(admin.ModelAdmin):
    list_display = ["point_of_sale", "host", "port", "idle_timeout_seconds", "active"]
    list_filter = ["active"]


@admin.register(TerminalTransaction)
class TerminalTransactionAdmin(admin.ModelAdmin):
    """Read-only history of the dialogues with the terminals."""

    list_display = ["pk", "terminal", "kind", "state", "amount_cents", "result_code", "created_at"]
    list_filter = ["kind", "state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
