"""Django admin of the SEPA settings, mandates, debits and files.

Mandates, debits and files are records of what was agreed and sent, so they are read-only.
"""

from django.contrib import admin

from stadtkasse.orders.admin import ReadOnlyAdminMixin
from stadtkasse.sepa.models import DirectDebit, SepaFile, SepaMandate, SepaSettings


@admin.register(SepaSettings)
class SepaSettingsAdmin(admin.ModelAdmin):
    list_display = ["municipality", "payee_name", "iban", "bic", "creditor_id"]


@admin.register(SepaMandate)
class SepaMandateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "mandate_type", "signed_on", "first_used_at", "revoked_at"]
    list_filter = ["mandate_type"]
    search_fields = ["reference"]


@admin.register(DirectDebit)
class DirectDebitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "end_to_end_id",
        "mandate",
        "amount_cents",
        "due_date",
        "state",
        "sequence_type",
    ]
    list_filter = ["state", "sequence_type"]
    list_select_related = ["mandate"]
    search_fields = ["end_to_end_id", "mandate__reference", "payment__order__kassenzeichen"]


@admin.register(SepaFile)
class SepaFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "kind", "schema", "transaction_count", "total_cents", "created_at"]
    list_filter = ["kind"]
