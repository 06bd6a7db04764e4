"""Access rules for portal orders: the browser session, the citizen account, or a signed link."""

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from stadtkasse.orders.models import Order
from stadtkasse.portal.models import CitizenProfile

SESSION_ORDERS_KEY = "portal_orders"
# Orders a browser session remembers; older ones need the link from the e-mail.
MAX_SESSION_ORDERS = 50
ORDER_LINK_SALT = "stadtkasse.portal.order-link"


def remember_order(request: HttpRequest, order: Order) -> None:
    """Let this browser session see the order from now on."""
    codes = [code for code in request.session.get(SESSION_ORDERS_KEY, []) if code != order.code]
    codes.append(order.code)
    request.session[SESSION_ORDERS_KEY] = codes[-MAX_SESSION_ORDERS:]


def order_token(order: Order) -> str:
    """Return the signed token of the link to an order that the confirmation e-mail carries."""
    return signing.Signer(salt=ORDER_LINK_SALT).sign(order.code).split(":", 1)[1]


def token_matches(order: Order, token: str) -> bool:
    try:
        code = signing.Signer(salt=ORDER_LINK_SALT).unsign(f"{order.code}:{token}")
    except signing.BadSignature:
        return False
    return code == order.code


def is_email_verified(user) -> bool:
    """Tell whether a citizen confirmed the address; accounts not registered here count."""
    try:
        return user.citizen_profile.email_verified
    except CitizenProfile.DoesNotExist:
        return True


def citizen_orders(user) -> QuerySet:
    """Return the orders of a citizen on every channel: of the account and its verified e-mail."""
    condition = Q(customer=user)
    if user.email and is_email_verified(user):
        condition |= Q(email__iexact=user.email)
    return Order.objects.filter(condition).order_by("-created_at", "-pk")


def can_view_order(request: HttpRequest, order: Order) -> bool:
    if order.code in request.session.get(SESSION_ORDERS_KEY, []):
        return True
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return citizen_orders(user).filter(pk=order.pk).exists()
    return False
