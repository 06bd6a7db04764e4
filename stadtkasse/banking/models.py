"""Imported bank statements (camt.052, camt.053, camt.054) and how their lines were matched.

A file becomes one ``BankImport``; each statement, report or notification in it becomes
one ``BankStatement``; each transaction becomes one ``BankTransaction``. An entry (Ntry)
with several transaction details (a batch booking) gives one row per transaction, and
the entry's own amount and charges are kept on every row of it. Rows are never deleted:
a reversal or a manual decision is a change of state with its record.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.models import Municipality
from stadtkasse.orders.models import Order
from stadtkasse.payments.models import Payment


class BankImport(models.Model):
    """One uploaded or command-line file and the counts of what its import did."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    message_type = models.CharField(_("message type"), max_length=8)
    message_version = models.CharField(_("message version"), max_length=4)
    message_id = models.CharField(_("message ID"), max_length=35, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    entry_count = models.PositiveIntegerField(_("transactions"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    partly_matched_count = models.PositiveIntegerField(_("partly matched"), default=0)
    unmatched_count = models.PositiveIntegerField(_("unmatched"), default=0)
    ignored_count = models.PositiveIntegerField(_("ignored"), default=0)
    duplicate_count = models.PositiveIntegerField(_("skipped as duplicates"), default=0)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-imported_at", "-pk"]
        permissions = [("import_statement", _("Can import and clear bank statements"))]

    def __str__(self) -> str:
        return self.file_name


class BankStatement(models.Model):
    """A statement (Stmt), report (Rpt) or notification (Ntfctn) of one account."""

    bank_import = models.ForeignKey(
        BankImport, on_delete=models.PROTECT, related_name="statements", verbose_name=_("import")
    )
    account_iban = models.CharField(_("account IBAN"), max_length=34)
    statement_id = models.CharField(_("statement ID"), max_length=35)
    sequence_number = models.CharField(_("electronic sequence number"), max_length=20, blank=True)
    # The bank's creation time as written in the file; part of the statement's identity.
    created_at_bank = models.CharField(_("created by the bank"), max_length=40, blank=True)
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("to"), null=True, blank=True)
    entry_count = models.PositiveIntegerField(_("transactions"), default=0)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "statement_id", "sequence_number", "created_at_bank"],
                name="bankstatement_unique_identity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_iban} {self.statement_id}"


class Direction(models.TextChoices):
    CREDIT = "CRDT", pgettext_lazy("bank booking", "credit")
    DEBIT = "DBIT", pgettext_lazy("bank booking", "debit")


class TransactionKind(models.TextChoices):
    TRANSFER = "transfer", _("incoming transfer")
    COLLECTION = "collection", _("direct debit collection")
    RETURN = "return", _("returned direct debit")
    REVERSAL = "reversal", _("reversal")
    OTHER_DEBIT = "other_debit", _("other debit")


class MatchState(models.TextChoices):
    MATCHED = "matched", _("matched")
    PARTLY_MATCHED = "partly_matched", _("partly matched")
    UNMATCHED = "unmatched", _("unmatched")
    # Debits that are neither returns nor reversals: fees, outgoing transfers.
    IGNORED = "ignored", _("ignored")
    RESOLVED = "resolved", _("marked as done")


# States that show a line in the clarification list.
OPEN_STATES = (MatchState.PARTLY_MATCHED, MatchState.UNMATCHED)


class BankTransaction(models.Model):
    """One transaction of a bank entry, with the result of matching it."""

    statement = models.ForeignKey(
        BankStatement,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("statement"),
    )
    account_iban = models.CharField(_("account IBAN"), max_length=34)
    # Identity across files: a camt.054 and the later camt.053 with the same booking
    # give the same key, so the second one is skipped.
    dedupe_key = models.CharField(max_length=64)
    direction = models.CharField(_("credit or debit"), max_length=4, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    amount_cents = models.BigIntegerField(_("amount in cents"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    booking_date = models.DateField(_("booking date"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    entry_reference = models.CharField(_("bank reference of the entry"), max_length=100, blank=True)
    entry_amount_cents = models.BigIntegerField(_("amount of the entry in cents"))
    entry_transaction_count = models.PositiveIntegerField(_("transactions in the entry"))
    charges_cents = models.BigIntegerField(_("charges in cents"), default=0)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=35, blank=True)
    mandate_id = models.CharField(_("mandate ID"), max_length=35, blank=True)
    bank_transaction_code = models.CharField(_("bank transaction code"), max_length=40, blank=True)
    remittance = models.TextField(_("remittance information"), blank=True)
    structured_reference = models.CharField(_("creditor reference"), max_length=35, blank=True)
    counterparty_name = models.CharField(_("payer or payee"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("IBAN of the payer or payee"), max_length=34, blank=True)
    return_reason = models.CharField(_("return reason code"), max_length=8, blank=True)
    is_reversal = models.BooleanField(_("reversal"), default=False)
    reversed_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversed by"),
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=16, choices=MatchState.choices)
    note = models.TextField(_("note"), blank=True)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
        db_index=False,
    )
    resolved_at = models.DateTimeField(_("cleared"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "dedupe_key"], name="banktransaction_unique_booking"
            )
        ]
        # An import inserts thousands of lines, almost all matched and never reversed or
        # cleared. Partial indexes leave those rows out, so they cost no index write.
        indexes = [
            models.Index(
                fields=["state"],
                condition=models.Q(state__in=OPEN_STATES),
                name="banktransaction_open_idx",
            ),
            models.Index(fields=["end_to_end_id"]),
            models.Index(
                fields=["reversed_by"],
                condition=models.Q(reversed_by__isnull=False),
                name="banktransaction_reversed_idx",
            ),
            models.Index(
                fields=["resolved_by"],
                condition=models.Q(resolved_by__isnull=False),
                name="banktransaction_resolved_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount_cents} ({self.state})"

    @property
    def needs_clarification(self) -> bool:
        return self.state in OPEN_STATES


class BankAllocation(models.Model):
    """The part of a bank transaction booked to one order, through one payment."""

    transaction = models.ForeignKey(
        BankTransaction,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("bank transaction"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("order")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="+", verbose_name=_("payment")
    )
    amount_cents = models.BigIntegerField(_("amount in cents"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount_cents}"

    @property
    def kassenzeichen_display(self) -> str:
        return kz.display(self.order.kassenzeichen)
