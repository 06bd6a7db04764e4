"""SEPA data of a municipality: its account and creditor ID, mandates, debits and files."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.models import Municipality
from stadtkasse.payments.models import Payment
from stadtkasse.sepa import validation


class SepaSettings(models.Model):
    """The town's bank account and SEPA creditor identifier (Gläubiger-ID)."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="sepa_settings",
        verbose_name=_("municipality"),
    )
    payee_name = models.CharField(
        _("account holder"),
        max_length=70,
        validators=[validation.validate_epc_name],
        help_text=_("Name on the account, as the bank knows it; at most 70 characters."),
    )
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validation.validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validation.validate_bic])
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    creditor_id = models.CharField(
        _("creditor identifier"),
        max_length=35,
        validators=[validation.validate_creditor_id],
        help_text=_("The SEPA creditor identifier (Gläubiger-ID), for example DE98ZZZ09999999999."),
    )
    mandate_prefix = models.CharField(
        _("mandate reference prefix"),
        max_length=8,
        default="MS",
        validators=[validation.validate_mandate_prefix],
        help_text=_("Letters or digits that start every mandate reference, for example MS."),
    )

    class Meta:
        verbose_name = _("SEPA settings")
        verbose_name_plural = _("SEPA settings")
        permissions = [
            ("export_debits", _("Can export direct debits and refund transfers")),
        ]

    def __str__(self) -> str:
        return str(self.municipality)

    def save(self, *args, **kwargs):
        self.iban = validation.compact(self.iban)
        self.bic = validation.compact(self.bic)
        self.creditor_id = validation.compact(self.creditor_id)
        super().save(*args, **kwargs)


class MandateType(models.TextChoices):
    ONE_OFF = "OOFF", _("one-off")
    RECURRING = "RCUR", _("recurring")


class SepaMandate(models.Model):
    """A SEPA core direct debit mandate, with the text the account holder accepted."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    mandate_type = models.CharField(_("mandate type"), max_length=4, choices=MandateType.choices)
    account_holder = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # The account holder's postal address. It is required for accounts at banks outside
    # the EEA (see validation.NON_EEA_SEPA_COUNTRIES) and optional, often empty, otherwise.
    address_street = models.CharField(
        _("street and house number"), max_length=validation.STREET_MAX, blank=True
    )
    address_postcode = models.CharField(
        _("postcode"), max_length=validation.POSTCODE_MAX, blank=True
    )
    address_town = models.CharField(_("town"), max_length=validation.TOWN_MAX, blank=True)
    address_country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 two-letter code.")
    )
    creditor_id = models.CharField(_("creditor identifier"), max_length=35)
    signed_on = models.DateField(_("date of signature"))
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    text = models.TextField(_("mandate text as accepted"))
    first_used_at = models.DateTimeField(
        _("first collection exported"),
        null=True,
        blank=True,
        help_text=_(
            "Set when a debit under this mandate was first exported; FRST before, RCUR after."
        ),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason of revocation"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-accepted_at", "-pk"]

    def __str__(self) -> str:
        return self.reference

    @property
    def iban_display(self) -> str:
        return validation.format_iban(self.iban)

    @property
    def iban_masked(self) -> str:
        """Return the IBAN with all but its first and last four characters hidden, for e-mails."""
        compact = validation.compact(self.iban)
        hidden = compact[:4] + "X" * max(len(compact) - 8, 0) + compact[-4:]
        return validation.format_iban(hidden)


class DebitState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    EXPORTED = "exported", _("exported")
    RETURNED = "returned", _("returned")


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("first of a series")
    RECURRING = "RCUR", _("recurring")
    ONE_OFF = "OOFF", _("one-off")


class SepaFile(models.Model):
    """A pain file written for the bank, kept in the data folder."""

    class Kind(models.TextChoices):
        DIRECT_DEBITS = "pain.008", _("direct debits (pain.008)")
        TRANSFERS = "pain.001", _("refund transfers (pain.001)")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    schema = models.CharField(_("schema"), max_length=20)
    message_id = models.CharField(_("message ID"), max_length=35, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    transaction_count = models.PositiveIntegerField(_("transactions"))
    total_cents = models.BigIntegerField(_("total in cents"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("SEPA file")
        verbose_name_plural = _("SEPA files")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class DirectDebit(models.Model):
    """The collection of one payment under a mandate; exported once in a pain.008 file."""

    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="direct_debit", verbose_name=_("payment")
    )
    mandate = models.ForeignKey(
        SepaMandate, on_delete=models.PROTECT, related_name="debits", verbose_name=_("mandate")
    )
    amount_cents = models.BigIntegerField(_("amount in cents"))
    due_date = models.DateField(_("due date"), db_index=True)
    # The bank statement matches a return by this id; it is the payment reference as hex.
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=35, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=DebitState.choices, default=DebitState.SCHEDULED
    )
    sequence_type = models.CharField(
        _("sequence type"), max_length=4, choices=SequenceType.choices, blank=True
    )
    collection_date = models.DateField(_("requested collection date"), null=True, blank=True)
    file = models.ForeignKey(
        SepaFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="debits",
        verbose_name=_("file"),
    )
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_reason = models.CharField(_("return reason code"), max_length=4, blank=True)
    return_fee_cents = models.BigIntegerField(_("bank fee in cents"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["state", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="direct_debit_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mandate.reference} {self.end_to_end_id}"
