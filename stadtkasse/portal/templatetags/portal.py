"""Template helpers of the portal: money, VAT labels and the cart badge."""

from django import template

from stadtkasse.catalog.models import VatTreatment
from stadtkasse.core.money import format_cents
from stadtkasse.orders.answers import answer_text as orders_answer_text
from stadtkasse.orders.models import Cart

register = template.Library()


@register.filter
def euros(cents) -> str:
    """Format integer cents as German euros: 1234 becomes 12,34 €."""
    if cents in (None, ""):
        return ""
    return format_cents(int(cents))


@register.filter
def vat_label(treatment: str) -> str:
    return str(VatTreatment(treatment).label)


@register.filter
def percent(basis_points: int) -> str:
    """Format a VAT rate in basis points as a percentage: 1900 becomes 19 %."""
    whole, rest = divmod(int(basis_points), 100)
    return f"{whole}\u00a0%" if not rest else f"{whole},{rest:02d}\u00a0%"


@register.simple_tag(takes_context=True)
def cart_quantity(context) -> int:
    """Return how many items lie in the open cart of this browser or citizen."""
    from stadtkasse.portal.services.carts import CART_SESSION_KEY

    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return 0
    carts = Cart.objects.filter(order__isnull=True)
    token = request.session.get(CART_SESSION_KEY)
    if token:
        cart = carts.filter(token=token).first()
    elif request.user.is_authenticated:
        cart = carts.filter(customer=request.user).order_by("-updated_at", "-pk").first()
    else:
        cart = None
    if cart is None:
        return 0
    return sum(cart.items.values_list("quantity", flat=True))


@register.filter
def price_range(product) -> str:
    """Describe a product's price: one amount, or "ab" the lowest of several."""
    from django.utils.translation import gettext as _

    prices = sorted(variant.price_cents for variant in product.variants.all())
    if not prices:
        return ""
    if prices[0] == prices[-1]:
        return format_cents(prices[0])
    return _("from %(price)s") % {"price": format_cents(prices[0])}


@register.filter
def answer_text(value) -> str:
    """Show an application answer; dates stored as YYYY-MM-DD become DD.MM.YYYY."""
    return orders_answer_text(value)
