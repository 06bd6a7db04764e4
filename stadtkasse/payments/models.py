"""Payments of orders, and the history of their state changes."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtkasse.orders.models import Order


class PaymentState(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("pending")
    CONFIRMED = "confirmed", _("confirmed")
    FAILED = "failed", _("failed")
    # An abandoned payment is "abgebrochen" in German, unlike a canceled order ("storniert").
    CANCELED = "canceled", pgettext_lazy("payment state", "canceled")


PAYMENT_TRANSITIONS = {
    PaymentState.CREATED: {
        PaymentState.PENDING,
        PaymentState.CONFIRMED,
        PaymentState.FAILED,
        PaymentState.CANCELED,
    },
    PaymentState.PENDING: {PaymentState.CONFIRMED, PaymentState.FAILED, PaymentState.CANCELED},
    # A confirmed payment is never changed; a correction is a refund.
    PaymentState.CONFIRMED: set(),
    PaymentState.FAILED: set(),
    PaymentState.CANCELED: set(),
}


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD_EXTERNAL = "card_external", _("Card (stand-alone terminal)")
    CARD_TERMINAL = "card_terminal", _("Card (integrated terminal)")
    EPAY = "epay", _("Online payment")
    TRANSFER = "transfer", _("Bank transfer")
    SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")


class ClarificationReason(models.TextChoices):
    ORDER_NOT_PAYABLE = "order_not_payable", _("order expired or canceled before the payment")
    ALREADY_PAID = "already_paid", _("order was already paid by another payment")
    UNDERPAYMENT = "underpayment", _("amount is less than the open amount (partial payment)")
    OVERPAYMENT = "overpayment", _("amount is more than the open amount (overpayment)")
    CHARGEBACK_EXCEEDS = (
        "chargeback_exceeds",
        _("returned direct debit is more than what was left of the payment"),
    )
    # Used before partial payments and overpayments got reasons of their own.
    AMOUNT_MISMATCH = "amount_mismatch", _("amount differs from the order total")


class ClarificationOutcome(models.TextChoices):
    """How the treasury cleared a payment that needed clarification."""

    ACCEPTED = "accepted", _("accepted as it is")
    REFUNDED = "refunded", _("refunded")
    REASSIGNED = "reassigned", _("assigned to another order")


class Payment(models.Model):
    """Money that is to come, or came, for an order."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=PaymentState.choices, default=PaymentState.CREATED
    )
    amount_cents = models.BigIntegerField(_("amount in cents"))
    tendered_cents = models.BigIntegerField(_("cash given in cents"), null=True, blank=True)
    change_cents = models.BigIntegerField(_("change in cents"), null=True, blank=True)
    reference = models.UUIDField(
        _("reference"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Our reference, sent to the provider."),
    )
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    needs_clarification = models.BooleanField(_("needs clarification"), default=False)
    clarification_reason = models.CharField(
        _("reason for clarification"),
        max_length=32,
        blank=True,
        choices=ClarificationReason.choices,
    )
    # Kept after the clarification, so that the history shows why the payment was flagged.
    clarification_outcome = models.CharField(
        _("outcome of the clarification"),
        max_length=16,
        blank=True,
        choices=ClarificationOutcome.choices,
    )
    clarified_at = models.DateTimeField(_("clarified"), null=True, blank=True)
    clarified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clarified by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("refund_payment", _("Can refund payments")),
            ("clarify_payment", _("Can clear payments that need clarification")),
        ]
        indexes = [
            models.Index(fields=["provider", "provider_reference"]),
            # Partial, because almost no payment is ever clarified by hand.
            models.Index(
                fields=["clarified_by"],
                condition=models.Q(clarified_by__isnull=False),
                name="payment_clarified_by_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=0), name="payment_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.reference}"


class PaymentEvent(models.Model):
    """One state change or outside event of a payment, with its time and cause."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    cause = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_state} -> {self.to_state} ({self.cause})"


class RefundState(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("pending")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


REFUND_TRANSITIONS = {
    RefundState.CREATED: {RefundState.PENDING, RefundState.DONE, RefundState.FAILED},
    RefundState.PENDING: {RefundState.DONE, RefundState.FAILED},
    RefundState.DONE: set(),
    RefundState.FAILED: set(),
}


class RefundKind(models.TextChoices):
    REFUND = "refund", _("refund")
    # A SEPA direct debit that the payer's bank returned (Rücklastschrift).
    CHARGEBACK = "chargeback", _("returned direct debit")


class Refund(models.Model):
    """Money that goes back to the payer of a confirmed payment, or that the bank took back.

    Every refund that has not failed counts against its payment's amount, so that the
    refunds of a payment never add up to more than was paid.
    """

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=RefundKind.choices, default=RefundKind.REFUND
    )
    # The method of the original payment; the money goes back the same way.
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=RefundState.choices, default=RefundState.CREATED
    )
    amount_cents = models.BigIntegerField(_("amount in cents"))
    fee_cents = models.BigIntegerField(
        _("bank fee in cents"), default=0, help_text=_("Fee the bank charged for a returned debit.")
    )
    reason = models.CharField(_("reason"), max_length=500)
    reason_code = models.CharField(
        _("bank reason code"),
        max_length=8,
        blank=True,
        help_text=_("ISO 20022 return reason of a returned debit, for example MD06."),
    )
    payee_name = models.CharField(_("account holder"), max_length=70, blank=True)
    payee_iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    payee_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    # Idempotency key of the form submission that created the refund (double click, reload).
    request_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "method"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_amount_gt_0"
            ),
            models.CheckConstraint(condition=models.Q(fee_cents__gte=0), name="refund_fee_gte_0"),
            # A bank statement line that reports a returned debit is read at most once.
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=models.Q(kind="chargeback"),
                name="refund_unique_chargeback_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents} ({self.payment_id})"


class RefundEvent(models.Model):
    """One state change of a refund, with its time, cause and the user who caused it."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    cause = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.refund_id}: {self.from_state} -> {self.to_state} ({self.cause})"
