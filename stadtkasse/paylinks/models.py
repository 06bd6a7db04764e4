"""Payment links: an order that the citizen pays on the phone through a QR code."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stadtkasse.core.models import PointOfSale
from stadtkasse.orders.models import Order


class LinkState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("payment link", "active")
    PAID = "paid", pgettext_lazy("payment link", "paid")
    EXPIRED = "expired", pgettext_lazy("payment link", "expired")
    CANCELED = "canceled", pgettext_lazy("payment link", "canceled")


class PaymentLink(models.Model):
    """A secret address under which one order can be paid online until it expires.

    The token is the only key, and it opens this one order to anyone who has the link.
    """

    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="payment_links",
        verbose_name=_("order"),
    )
    point_of_sale = models.ForeignKey(
        PointOfSale,
        on_delete=models.PROTECT,
        related_name="payment_links",
        verbose_name=_("point of sale"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    request_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="Idempotency key of the till request that created the link.",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=LinkState.choices, default=LinkState.ACTIVE
    )
    created_order = models.BooleanField(
        _("order created for the link"),
        default=True,
        help_text=_(
            "Set when the link created its order. Canceling such a link cancels the order; "
            "canceling the link of an order that existed before opens the order again."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("canceled by"),
    )

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(state="active"),
                name="paylink_one_active_per_order",
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.order.code} ({self.state})"
