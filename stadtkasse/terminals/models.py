"""Card terminals per till and the dialogues held with them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtkasse.core.models import PointOfSale
from stadtkasse.payments.models import Payment, Refund


class TerminalConfig(models.Model):
    """The ZVT card terminal of a till: where it listens and how long to wait for it."""

    point_of_sale = models.OneToOneField(
        PointOfSale,
        on_delete=models.CASCADE,
        related_name="terminal_config",
        verbose_name=_("point of sale"),
    )
    host = models.CharField(
        _("host"), max_length=255, help_text=_("IP address or host name of the card terminal.")
    )
    port = models.PositiveIntegerField(
        _("port"),
        default=20007,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("TCP port of the terminal's ZVT interface, usually 20007."),
    )
    password = models.CharField(
        _("terminal password"),
        max_length=6,
        default="000000",
        validators=[
            RegexValidator(r"^\d{6}$", _("Enter the six digits of the terminal password."))
        ],
        help_text=_("The six-digit ZVT password of the terminal."),
    )
    connect_timeout_seconds = models.PositiveSmallIntegerField(
        _("connect timeout (seconds)"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Seconds to wait for the connection and for the terminal's acknowledgement."),
    )
    idle_timeout_seconds = models.PositiveSmallIntegerField(
        _("idle timeout (seconds)"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Seconds without any message from the terminal after which the payment counts as "
            "broken off. Every status message of the terminal starts this time again."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("card terminal")
        verbose_name_plural = _("card terminals")
        permissions = [("run_end_of_day", _("Can run the end-of-day closing of card terminals"))]

    def __str__(self) -> str:
        return f"{self.point_of_sale} ({self.host}:{self.port})"


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", pgettext_lazy("terminal", "payment")
    REVERSAL = "reversal", pgettext_lazy("terminal", "reversal")
    REFUND = "refund", pgettext_lazy("terminal", "refund")
    END_OF_DAY = "end_of_day", pgettext_lazy("terminal", "end-of-day closing")


class TransactionState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("terminal", "running")
    APPROVED = "approved", pgettext_lazy("terminal", "approved")
    DECLINED = "declined", pgettext_lazy("terminal", "declined")
    FAILED = "failed", pgettext_lazy("terminal", "failed")
    UNCLEAR = "unclear", pgettext_lazy("terminal", "unclear")
    REVERSED = "reversed", pgettext_lazy("terminal", "reversed")


class Charged(models.TextChoices):
    """Whether the customer's card was charged, as the cashier must know it."""

    YES = "yes", _("customer was charged")
    NO = "no", _("customer was not charged")
    UNKNOWN = "unknown", _("unclear")


class TerminalTransaction(models.Model):
    """One dialogue with a card terminal, stored so that any server process can report it.

    The dialogue runs in a background thread of one process; the till polls the state.
    ``heartbeat_at`` is set on every message of the terminal, which separates a dialogue
    whose process died from one that still waits for the customer.
    """

    terminal = models.ForeignKey(
        TerminalConfig, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    state = models.CharField(
        max_length=16, choices=TransactionState.choices, default=TransactionState.RUNNING
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="terminal_transactions",
        help_text=_("The payment taken, or the payment reversed or refunded."),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="terminal_transactions",
        help_text=_("The refund that this reversal or refund on the terminal carries out."),
    )
    amount_cents = models.BigIntegerField(null=True, blank=True)
    status_text = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    result_code = models.PositiveSmallIntegerField(null=True, blank=True)
    receipt_lines = models.JSONField(default=list, blank=True)
    receipt_number = models.PositiveIntegerField(null=True, blank=True)
    trace_number = models.PositiveIntegerField(null=True, blank=True)
    terminal_identifier = models.CharField(
        max_length=16, blank=True, help_text=_("Terminal ID (TID) the terminal reported.")
    )
    card = models.CharField(_("card number (masked)"), max_length=32, blank=True)
    card_name = models.CharField(max_length=64, blank=True)
    abort_requested = models.BooleanField(default=False)
    recovery_attempts = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("terminal transaction")
        verbose_name_plural = _("terminal transactions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A terminal runs one dialogue at a time.
            models.UniqueConstraint(
                fields=["terminal"],
                condition=models.Q(state="running"),
                name="terminal_one_running_transaction",
            ),
            # A refund runs on one terminal at a time, so two clicks cannot pay it out twice.
            models.UniqueConstraint(
                fields=["refund"],
                condition=models.Q(state="running"),
                name="refund_one_running_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.state})"

    @property
    def charged(self) -> str:
        """Whether the customer's card was charged by this payment."""
        if self.state == TransactionState.APPROVED:
            return Charged.YES
        if self.state in (TransactionState.RUNNING, TransactionState.UNCLEAR):
            return Charged.UNKNOWN
        return Charged.NO
