"""The cart of a browser session or of a logged-in citizen, and its display."""

from dataclasses import dataclass, field

from django.http import HttpRequest

from stadtkasse.catalog.models import VatTreatment
from stadtkasse.core.channels import Channel
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.models import Cart, CartItem
from stadtkasse.orders.pricing import LineRequest, PricedLine, price_lines
from stadtkasse.orders.services import VatTotal, vat_totals

CART_SESSION_KEY = "portal_cart"


def _citizen(request: HttpRequest):
    user = request.user
    return user if user.is_authenticated else None


def session_cart(request: HttpRequest) -> Cart | None:
    """Return the cart of this browser or citizen, also when it has become an order."""
    citizen = _citizen(request)
    token = request.session.get(CART_SESSION_KEY)
    if token:
        cart = (
            Cart.objects.select_related("order")
            .filter(token=token, municipality=request.municipality)
            .first()
        )
        if cart is not None and cart.customer_id in (None, getattr(citizen, "pk", None)):
            return cart
    if citizen is not None:
        return open_cart(request, create=False)
    return None


def open_cart(request: HttpRequest, *, create: bool) -> Cart | None:
    """Return the cart that can still take products; make one when ``create`` is set."""
    citizen = _citizen(request)
    carts = Cart.objects.filter(municipality=request.municipality, order__isnull=True)
    cart = None
    token = request.session.get(CART_SESSION_KEY)
    if token:
        cart = carts.filter(token=token).first()
        if cart is not None and cart.customer_id not in (None, getattr(citizen, "pk", None)):
            cart = None
    if cart is None and citizen is not None:
        cart = carts.filter(customer=citizen).order_by("-updated_at", "-pk").first()
    if cart is None and create:
        cart = Cart.objects.create(municipality=request.municipality, customer=citizen)
    if cart is not None:
        request.session[CART_SESSION_KEY] = str(cart.token)
    return cart


def owns_cart(request: HttpRequest, cart: Cart) -> bool:
    """Tell whether this browser or citizen may check out the cart."""
    citizen = _citizen(request)
    if cart.customer_id is not None:
        return citizen is not None and cart.customer_id == citizen.pk
    return request.session.get(CART_SESSION_KEY) == str(cart.token)


def adopt_cart(request: HttpRequest, citizen) -> None:
    """Give the anonymous cart of this browser to a citizen who just logged in."""
    token = request.session.get(CART_SESSION_KEY)
    if not token:
        return
    Cart.objects.filter(
        token=token, customer__isnull=True, order__isnull=True, municipality=request.municipality
    ).exclude(items=None).update(customer=citizen)


@dataclass
class CartRow:
    """A cart item as the portal shows it: priced now, or with the reason it cannot be."""

    item: CartItem
    priced: PricedLine | None
    error: str = ""

    @property
    def vat_treatment(self) -> str:
        return self.item.product.vat_treatment

    @property
    def vat_rate(self) -> int:
        return self.priced.vat_rate

    @property
    def total_cents(self) -> int:
        return self.priced.total_cents

    @property
    def vat_cents(self) -> int:
        return self.priced.vat_cents


@dataclass
class CartSummary:
    rows: list[CartRow] = field(default_factory=list)

    @property
    def priced_rows(self) -> list[CartRow]:
        return [row for row in self.rows if row.priced is not None]

    @property
    def total_cents(self) -> int:
        return sum(row.total_cents for row in self.priced_rows)

    @property
    def vat_totals(self) -> list[VatTotal]:
        return vat_totals(self.priced_rows)

    @property
    def has_errors(self) -> bool:
        return any(row.error for row in self.rows)

    @property
    def quantity(self) -> int:
        return sum(row.item.quantity for row in self.rows)


def summarize_cart(cart: Cart | None) -> CartSummary:
    """Price every cart item on its own, so that one item gone from the catalog is shown."""
    summary = CartSummary()
    if cart is None:
        return summary
    items = cart.items.select_related("product", "variant")
    for item in items:
        request = LineRequest(item.product_id, item.variant_id, item.quantity, item.answers)
        try:
            (priced,) = price_lines(cart.municipality, [request], channel=Channel.PORTAL)
        except SaleError as error:
            summary.rows.append(CartRow(item, None, error.message))
            continue
        summary.rows.append(CartRow(item, priced))
    return summary


def vat_label(total: VatTotal) -> str:
    """Name a VAT group for citizens, the way a receipt does."""
    return str(VatTreatment(total.vat_treatment).label)
