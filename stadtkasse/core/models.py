"""Tenants and organisation: municipality, operators, points of sale; Kassenzeichen numbers."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from stadtkasse.core import kassenzeichen
from stadtkasse.core.channels import Channel


class Municipality(models.Model):
    """A town running Stadtkasse (the tenant)."""

    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(
        _("domain"),
        max_length=200,
        blank=True,
        help_text=_("Host name under which the portal of this municipality is served."),
    )
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    kassenzeichen_prefix = models.CharField(
        _("Kassenzeichen prefix"),
        max_length=8,
        default="51",
        help_text=_("Digits that start every Kassenzeichen of this municipality."),
        validators=[
            RegexValidator(
                r"^[0-9]*$", _("The Kassenzeichen prefix may contain only the digits 0 to 9.")
            )
        ],
    )
    kassenzeichen_width = models.PositiveSmallIntegerField(
        _("digits of the running number"),
        default=8,
        validators=[MinValueValidator(4), MaxValueValidator(16)],
    )
    kassenzeichen_method = models.CharField(
        _("check digit method"),
        max_length=5,
        choices=[(kassenzeichen.MOD10, _("Modulo 10")), (kassenzeichen.MOD11, _("Modulo 11"))],
        default=kassenzeichen.MOD10,
    )
    kassenzeichen_next = models.PositiveBigIntegerField(_("next running number"), default=1)
    # Raised on every change to the catalog, operators, points of sale or these settings
    # (see core.versions).
    config_version = models.PositiveBigIntegerField(default=0, editable=False)
    imprint = models.TextField(_("imprint (Impressum)"), blank=True)
    privacy_policy = models.TextField(_("privacy policy (Datenschutzerklärung)"), blank=True)
    accessibility_statement = models.TextField(
        _("accessibility statement (Erklärung zur Barrierefreiheit)"), blank=True
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    # Counters that services raise with one UPDATE each, never through save().
    COUNTER_FIELDS = frozenset({"kassenzeichen_next", "config_version"})

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Save without writing back counters read earlier.

        A form opened before a sale contains an old running number, and writing it back
        would hand out a Kassenzeichen twice. Name a counter in ``update_fields`` to set
        it. Saving an existing municipality raises its configuration version.
        """
        updating = not self._state.adding
        if updating and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNTER_FIELDS
            ]
        super().save(*args, **kwargs)
        if updating:
            type(self).objects.filter(pk=self.pk).update(
                config_version=models.F("config_version") + 1
            )


class Operator(models.Model):
    """A unit of the municipality that sells: Bürgerbüro, Hallenbad, Parkhaus."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="operators",
        verbose_name=_("municipality"),
    )
    slug = models.SlugField(_("short name"))
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    vat_id = models.CharField(_("VAT identification number"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="operator_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class PointOfSale(models.Model):
    """A place where one operator sells: a counter, a till, a pay machine, the portal."""

    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        related_name="points_of_sale",
        verbose_name=_("operator"),
    )
    slug = models.SlugField(_("short name"))
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    active = models.BooleanField(_("active"), default=True)
    cashiers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="points_of_sale",
        verbose_name=_("cashiers"),
        help_text=_("Staff who may sell at this point of sale."),
    )

    class Meta:
        verbose_name = _("point of sale")
        verbose_name_plural = _("points of sale")
        ordering = ["operator__name", "name"]
        constraints = [models.UniqueConstraint(fields=["operator", "slug"], name="pos_unique_slug")]

    def __str__(self) -> str:
        return f"{self.operator.name} – {self.name}"

    @property
    def municipality(self) -> Municipality:
        return self.operator.municipality


class AuditLogEntry(models.Model):
    """A business event (``order.paid``, ``refund.created``); append-only.

    The Python logger is for operators and failures; this table is the business history.
    A payment's transitions are recorded by its own events (``PaymentEvent``).
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        # Indexed in Meta only where set: entries of imports and jobs have no user.
        db_index=False,
    )
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at"]
        # An index in Meta, not db_index=True on the field, so that PostgreSQL gets no
        # second index for LIKE queries on the action.
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action"], name="core_audit_action_idx"),
            models.Index(
                fields=["user"], condition=models.Q(user__isnull=False), name="core_audit_user_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
