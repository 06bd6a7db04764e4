"""E-payment platforms that speak XBezahldienste 1.0, and the transactions created there."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.models import Municipality
from stadtkasse.payments.models import Payment
from stadtkasse.xbezahldienste.errors import config_message


class PlatformKind(models.TextChoices):
    EPAYBL = "epaybl", "ePayBL"
    PMPAYMENT = "pmpayment", "pmPayment"
    EPAY21 = "epay21", "epay21"
    OTHER = "other", _("other XBezahldienste platform")


class AuthType(models.TextChoices):
    OAUTH2_CLIENT_CREDENTIALS = "oauth2_client_credentials", _("OAuth2 client credentials")
    CLIENT_CERTIFICATE = "client_certificate", _("TLS client certificate")
    HTTP_BASIC = "http_basic", _("HTTP Basic (user name and password)")


class BookingSource(models.TextChoices):
    """Values of an order line that a platform can receive as booking data."""

    KASSENZEICHEN = "kassenzeichen", _("Kassenzeichen")
    LEDGER_ACCOUNT = "ledger_account", _("Sachkonto")
    BUDGET_PRODUCT = "budget_product", _("Produkt (Haushalt)")
    COST_CENTER = "cost_center", _("Kostenstelle")


class PurposeSource(models.TextChoices):
    KASSENZEICHEN = "kassenzeichen", _("Kassenzeichen")
    ORDER_CODE = "order_code", _("order code")


def default_booking_keys() -> dict:
    return {
        BookingSource.KASSENZEICHEN.value: "KASSENZEICHEN",
        BookingSource.LEDGER_ACCOUNT.value: "SACHKONTO",
        BookingSource.BUDGET_PRODUCT.value: "PRODUKT",
        BookingSource.COST_CENTER.value: "KOSTENSTELLE",
    }


class PlatformConfig(models.Model):
    """How one municipality reaches its e-payment platform.

    Secrets never live in the database: the configuration names the environment variable
    that contains the client secret, key password or password.
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="epayment_platforms",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Shown to staff and in logs."))
    display_name = models.CharField(
        _("name shown to citizens"),
        max_length=100,
        help_text=_("The payment choice in the portal, for example “Online bezahlen (ePayBL)”."),
    )
    kind = models.CharField(
        _("platform"), max_length=16, choices=PlatformKind.choices, default=PlatformKind.OTHER
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("At most one active platform per municipality.")
    )
    base_url = models.CharField(
        _("base URL"),
        max_length=300,
        help_text=_(
            "The XBezahldienste base URL from the platform operator, for example "
            "https://epayment.example.de/konnektor/epayment/."
        ),
    )
    originator_id = models.CharField(
        _("originator ID"),
        max_length=100,
        help_text=_("Given by the platform operator; names the online service."),
    )
    endpoint_id = models.CharField(
        _("endpoint ID"),
        max_length=100,
        help_text=_("Given by the platform operator; names the receiving authority."),
    )
    auth_type = models.CharField(
        _("authentication"),
        max_length=32,
        choices=AuthType.choices,
        default=AuthType.OAUTH2_CLIENT_CREDENTIALS,
    )
    token_url = models.CharField(_("OAuth2 token URL"), max_length=300, blank=True)
    client_id = models.CharField(_("OAuth2 client ID"), max_length=200, blank=True)
    client_secret_env = models.CharField(
        _("environment variable of the client secret"), max_length=100, blank=True
    )
    scope = models.CharField(_("OAuth2 scope"), max_length=200, blank=True)
    cert_file = models.CharField(
        _("client certificate file"), max_length=300, blank=True, help_text=_("PEM file path.")
    )
    key_file = models.CharField(
        _("private key file"),
        max_length=300,
        blank=True,
        help_text=_("PEM file path; empty where the certificate file contains the key."),
    )
    key_password_env = models.CharField(
        _("environment variable of the key password"), max_length=100, blank=True
    )
    basic_username = models.CharField(_("user name"), max_length=200, blank=True)
    basic_password_env = models.CharField(
        _("environment variable of the password"), max_length=100, blank=True
    )
    ca_file = models.CharField(
        _("CA certificates file"),
        max_length=300,
        blank=True,
        help_text=_("PEM file of the certificate authorities to trust; empty for the system's."),
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("timeout in seconds"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    purpose_source = models.CharField(
        _("purpose (Verwendungszweck)"),
        max_length=16,
        choices=PurposeSource.choices,
        default=PurposeSource.KASSENZEICHEN,
    )
    item_reference_source = models.CharField(
        _("item reference"),
        max_length=16,
        choices=BookingSource.choices,
        default=BookingSource.KASSENZEICHEN,
        help_text=_("Which value goes into the reference of each payment item."),
    )
    booking_keys = models.JSONField(
        _("booking data keys"),
        default=default_booking_keys,
        blank=True,
        help_text=_(
            "Which values go into the booking data of each item, under which key, for example "
            '{"ledger_account": "SACHKONTO"}. Values left out are not sent.'
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("e-payment platform")
        verbose_name_plural = _("e-payment platforms")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality"],
                condition=models.Q(is_active=True),
                name="xbezahldienste_one_active_platform",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.base_url.startswith("/") and not settings.DEMO:
            errors["base_url"] = config_message("relative_url_outside_demo", value=self.base_url)
        elif not self.base_url.startswith(("/", "https://", "http://")):
            errors["base_url"] = config_message("invalid_url", value=self.base_url)
        if self.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS:
            for field in ("token_url", "client_id", "client_secret_env"):
                if not getattr(self, field):
                    errors[field] = config_message("required_for_oauth2")
        elif self.auth_type == AuthType.CLIENT_CERTIFICATE:
            if not self.cert_file:
                errors["cert_file"] = config_message("required_for_certificate")
        elif self.auth_type == AuthType.HTTP_BASIC:
            for field in ("basic_username", "basic_password_env"):
                if not getattr(self, field):
                    errors[field] = config_message("required_for_basic")
        if not isinstance(self.booking_keys, dict) or any(
            source not in BookingSource.values or not isinstance(key, str) or not key
            for source, key in (self.booking_keys or {}).items()
        ):
            errors["booking_keys"] = config_message(
                "invalid_booking_keys", sources=", ".join(BookingSource.values)
            )
        if errors:
            raise ValidationError(errors)


class PlatformTransaction(models.Model):
    """The payment transaction that a platform created for one of our payments."""

    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        related_name="platform_transaction",
        verbose_name=_("payment"),
    )
    platform = models.ForeignKey(
        PlatformConfig,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("e-payment platform"),
    )
    transaction_id = models.CharField(_("transaction ID"), max_length=64)
    transaction_reference = models.CharField(_("transaction reference"), max_length=64, blank=True)
    status = models.CharField(_("platform status"), max_length=16, default="INITIAL")
    status_detail = models.CharField(_("status detail"), max_length=100, blank=True)
    payment_method = models.CharField(_("payment method chosen"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    checked_at = models.DateTimeField(_("status last fetched"), null=True, blank=True)
    check_count = models.PositiveIntegerField(_("status fetches"), default=0)

    class Meta:
        verbose_name = _("platform transaction")
        verbose_name_plural = _("platform transactions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["platform", "transaction_id"])]

    def __str__(self) -> str:
        return f"{self.platform}: {self.transaction_id}"
