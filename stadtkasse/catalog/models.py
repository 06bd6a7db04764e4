"""What is sold: categories, products with variants, VAT treatment, booking targets."""

from datetime import date

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale


class ProductKind(models.TextChoices):
    FEE = "fee", _("Fee")
    GOODS = "goods", _("Goods")
    TICKET = "ticket", _("Ticket")
    # Passes and parking follow with the ticketing and parking features.
    PASS = "pass", _("Pass")
    PARKING = "parking", _("Parking")


class VatTreatment(models.TextChoices):
    """VAT treatment of a product.

    Sovereign acts of a public body (ID documents, certificates) are outside the scope of
    VAT under §2b (1) UStG; that is different from a taxable sale at 0 %.
    """

    STANDARD = "standard", _("19 % VAT")
    REDUCED = "reduced", _("7 % VAT")
    ZERO = "zero", _("0 % VAT")
    NOT_TAXABLE = "not_taxable", _("Outside the scope of VAT (§2b UStG)")


# Rate in basis points (hundredths of a percent) for each treatment.
VAT_RATES = {
    VatTreatment.STANDARD: 1900,
    VatTreatment.REDUCED: 700,
    VatTreatment.ZERO: 0,
    VatTreatment.NOT_TAXABLE: 0,
}


class Category(models.Model):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("municipality"),
    )
    slug = models.SlugField(_("short name"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="category_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:category", args=[self.slug])


class ProductQuerySet(models.QuerySet):
    def sellable(self, channel: str, point_of_sale: PointOfSale | None = None):
        """Active products offered on a channel, and at a point of sale where one is given.

        A product with no points of sale listed is sold at every point of sale of its
        operator; one with a list only there.
        """
        queryset = self.filter(active=True, **{f"sold_{Channel(channel).value}": True})
        if point_of_sale is not None:
            listed = Product.points_of_sale.through.objects.filter(product_id=OuterRef("pk"))
            queryset = queryset.filter(
                Q(Exists(listed.filter(pointofsale_id=point_of_sale.pk)))
                | (~Q(Exists(listed)) & Q(operator_id=point_of_sale.operator_id))
            )
        return queryset


class Product(models.Model):
    """A fee, goods or ticket. The price lies on its variants; each has at least one."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("municipality"),
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="products", verbose_name=_("operator")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    slug = models.SlugField(_("short name"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    short_description = models.CharField(_("short description"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    barcode = models.CharField(
        _("barcode or article number"), max_length=64, blank=True, db_index=True
    )
    vat_treatment = models.CharField(
        _("VAT treatment"), max_length=16, choices=VatTreatment.choices
    )
    ledger_account = models.CharField(_("Sachkonto"), max_length=20, blank=True)
    budget_product = models.CharField(_("Produkt (Haushalt)"), max_length=20, blank=True)
    cost_center = models.CharField(_("Kostenstelle"), max_length=20, blank=True)
    featured = models.BooleanField(_("featured"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    sold_portal = models.BooleanField(_("sold in the online portal"), default=True)
    sold_counter = models.BooleanField(_("sold at the counter"), default=True)
    sold_kiosk = models.BooleanField(_("sold at kiosks and machines"), default=False)
    sold_api = models.BooleanField(_("sold through the API"), default=False)
    points_of_sale = models.ManyToManyField(
        PointOfSale,
        blank=True,
        related_name="products",
        verbose_name=_("points of sale"),
        help_text=_(
            "Leave empty to sell at every point of sale of the operator on the chosen channels."
        ),
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="product_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:product", args=[self.slug])

    @property
    def vat_rate(self) -> int:
        """VAT rate in basis points."""
        return VAT_RATES[self.vat_treatment]

    def is_sold_on(self, channel: str) -> bool:
        return bool(getattr(self, f"sold_{channel}", False))


class Variant(models.Model):
    """A price of a product: adult, reduced, under 24, 24 and older.

    ``min_age`` and ``max_age`` tie a variant to the applicant's age on the day of the
    application (both inclusive); a product with such variants asks for the date of birth
    and the server picks the variant.
    """

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    name = models.CharField(_("name"), max_length=200)
    price_cents = models.PositiveIntegerField(
        _("gross price in cents"), validators=[MaxValueValidator(10_000_000)]
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.product.name} – {self.name}"

    def fits_age(self, age: int) -> bool:
        if self.min_age is not None and age < self.min_age:
            return False
        if self.max_age is not None and age > self.max_age:
            return False
        return True


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    DATE = "date", _("Date")
    BIRTH_DATE = "birth_date", _("Date of birth (decides the price band)")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice")


class ApplicationField(models.Model):
    """A question a service asks before it can be paid (the Antrag). Ask only what it needs."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="fields", verbose_name=_("product")
    )
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One choice per line."))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("application field")
        verbose_name_plural = _("application fields")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["product", "key"], name="field_unique_key")]

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


def age_on(birth_date: date, day: date) -> int:
    """Return the age in whole years on a day."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
