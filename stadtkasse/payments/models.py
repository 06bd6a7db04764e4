"""Payments of orders, and the history of their state changes."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from stadtkasse.orders.models import Order


class PaymentState(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("pending")
    CONFIRMED = "confirmed", _("confirmed")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("canceled")


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
    AMOUNT_MISMATCH = "amount_mismatch", _("amount differs from the order total")


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

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_payment", _("Can refund payments"))]
        indexes = [models.Index(fields=["provider", "provider_reference"])]
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
