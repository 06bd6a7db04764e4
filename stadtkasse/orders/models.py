"""The ledger: orders with lines from every channel, and the portal cart."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from stadtkasse.catalog.models import Product, Variant, VatTreatment
from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale


class OrderState(models.TextChoices):
    OPEN = "open", _("open")
    PENDING_PAYMENT = "pending_payment", _("pending payment")
    PAID = "paid", _("paid")
    CANCELED = "canceled", _("canceled")
    EXPIRED = "expired", _("expired")


# Allowed transitions of the order state machine.
ORDER_TRANSITIONS = {
    OrderState.OPEN: {OrderState.PENDING_PAYMENT, OrderState.PAID, OrderState.CANCELED},
    OrderState.PENDING_PAYMENT: {
        OrderState.PAID,
        OrderState.CANCELED,
        OrderState.EXPIRED,
        OrderState.OPEN,
    },
    OrderState.PAID: set(),
    OrderState.CANCELED: set(),
    OrderState.EXPIRED: set(),
}

# Corrections the payment services may make, and only they, each with an audit entry:
# a returned direct debit reopens a paid order, and a late payment the treasury accepts
# pays an expired order.
ORDER_CORRECTIONS = {
    OrderState.PAID: {OrderState.PENDING_PAYMENT},
    OrderState.EXPIRED: {OrderState.PAID},
}


class Order(models.Model):
    """One purchase on any channel: the unit of the ledger."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("municipality"),
        # The composite indexes below start with the municipality and serve its lookups.
        db_index=False,
    )
    code = models.CharField(_("order code"), max_length=16)
    kassenzeichen = models.CharField(_("Kassenzeichen"), max_length=32)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    point_of_sale = models.ForeignKey(
        PointOfSale,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("point of sale"),
        # Indexed in Meta only where set.
        db_index=False,
    )
    state = models.CharField(
        _("state"), max_length=20, choices=OrderState.choices, default=OrderState.OPEN
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("citizen account"),
        # Indexed in Meta only where set.
        db_index=False,
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("cashier"),
        # Indexed in Meta only where set.
        db_index=False,
    )
    total_cents = models.BigIntegerField(_("total in cents"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    # NULL, not "", for orders without a token, so that they don't collide in the unique
    # constraint on the token.
    submit_token = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        blank=True,
        help_text="Idempotency key of the request that created the order.",
    )
    locale = models.CharField(max_length=8, default="de")

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("sell_at_counter", _("Can sell at the counter")),
            ("view_ledger", _("Can view the ledger of all channels")),
            ("export_ledger", _("Can export the ledger")),
        ]
        # Uniqueness of the code and the token is declared here rather than with
        # unique=True, which on PostgreSQL adds a second index for LIKE queries that
        # nothing sends. Every index costs a counter sale and a paid bank credit a write.
        constraints = [
            models.UniqueConstraint(fields=["code"], name="order_unique_code"),
            models.UniqueConstraint(
                fields=["submit_token"],
                condition=models.Q(submit_token__isnull=False),
                name="order_unique_submit_token",
            ),
            models.UniqueConstraint(
                fields=["municipality", "kassenzeichen"], name="order_unique_kassenzeichen"
            ),
            models.CheckConstraint(
                condition=models.Q(total_cents__gte=0), name="order_total_gte_0"
            ),
        ]
        # The references to a cashier, a citizen account and a point of sale are indexed
        # only where set: an order paid by bank transfer has none of them, and its update
        # to paid writes one entry less into each index.
        indexes = [
            models.Index(fields=["municipality", "created_at"]),
            models.Index(fields=["state", "expires_at"]),
            # The citizen's order list compares e-mail addresses without case.
            models.Index(Upper("email"), name="order_email_upper_idx"),
            models.Index(
                fields=["cashier"],
                condition=models.Q(cashier__isnull=False),
                name="order_cashier_idx",
            ),
            models.Index(
                fields=["customer"],
                condition=models.Q(customer__isnull=False),
                name="order_customer_idx",
            ),
            models.Index(
                fields=["point_of_sale"],
                condition=models.Q(point_of_sale__isnull=False),
                name="order_point_of_sale_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("portal:order", args=[self.code])

    @property
    def kassenzeichen_display(self) -> str:
        return kz.display(self.kassenzeichen)

    @property
    def is_paid(self) -> bool:
        return self.state == OrderState.PAID


class OrderLine(models.Model):
    """A line of an order; names, prices, VAT and booking targets are copies at sale time."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator")
    )
    description = models.CharField(_("description"), max_length=400)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price_cents = models.BigIntegerField(_("unit price in cents"))
    total_cents = models.BigIntegerField(_("line total in cents"))
    vat_treatment = models.CharField(
        _("VAT treatment"), max_length=16, choices=VatTreatment.choices
    )
    vat_rate = models.PositiveIntegerField(_("VAT rate in basis points"))
    vat_cents = models.BigIntegerField(_("VAT in cents"))
    ledger_account = models.CharField(_("Sachkonto"), max_length=20, blank=True)
    budget_product = models.CharField(_("Produkt (Haushalt)"), max_length=20, blank=True)
    cost_center = models.CharField(_("Kostenstelle"), max_length=20, blank=True)
    answers = models.JSONField(_("application data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class Cart(models.Model):
    """The portal cart of one browser session or citizen account."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    order = models.OneToOneField(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cart",
        help_text="The order this cart became at checkout; a cart becomes one order only.",
    )

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return str(self.token)


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(default=1)
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant}"
