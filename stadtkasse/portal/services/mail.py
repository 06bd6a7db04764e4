"""E-mails of the portal: the order confirmation with its receipt, and address checks."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from stadtkasse.core.channels import Channel
from stadtkasse.core.models import AuditLogEntry, Municipality
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.orders.services import vat_totals
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState
from stadtkasse.portal.services.access import order_token
from stadtkasse.portal.services.accounts import VERIFICATION_DAYS, verification_token
from stadtkasse.portal.services.checkout import refunds_to_show

logger = logging.getLogger(__name__)

CONFIRMATION_SENT = "order.confirmation_sent"

# Methods that a bank statement line or a collected direct debit confirms, while the
# citizen is not on the site. ``send_late_confirmations`` mails their orders.
LATE_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.SEPA_DEBIT)


def order_link(order: Order, base_url: str) -> str:
    """Return the absolute, signed link to the order page, valid without logging in."""
    path = reverse("portal:order", args=[order.code])
    return f"{base_url.rstrip('/')}{path}?token={order_token(order)}"


def send_order_confirmation_once(order: Order, *, base_url: str) -> bool:
    """Send the confirmation of a paid order unless it went out before; return whether sent.

    The order row is locked while the audit log is checked and written, so the return
    of the citizen and the provider's notification, arriving together, send one e-mail.
    NOTE: the e-mail is sent inside the transaction; if the commit fails after a
    successful send, a later call sends it a second time.
    """
    if not order.email:
        return False
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            if not locked.is_paid:
                return False
            # A paid order refunded in full before its e-mail went out gets none.
            if refunds_to_show(locked).in_full:
                return False
            already_sent = AuditLogEntry.objects.filter(
                action=CONFIRMATION_SENT,
                object_type=locked._meta.label_lower,
                object_id=str(locked.pk),
            ).exists()
            if already_sent:
                return False
            _send_confirmation(locked, base_url)
            audit(CONFIRMATION_SENT, locked, municipality=locked.municipality)
    except Exception:
        # The payment is booked either way; the e-mail is tried again on the next event.
        logger.exception("order confirmation e-mail failed: order=%s", order.code)
        return False
    logger.info("order confirmation e-mail sent: order=%s", order.code)
    return True


def send_late_confirmations(*, since: timedelta = timedelta(days=14), limit: int = 500) -> int:
    """Send the confirmation of portal orders paid by transfer or direct debit; return the count.

    Orders paid longer than ``since`` ago are left out, so that the first run after an
    update does not mail old orders. At most ``limit`` e-mails go out per run, and a run
    after a large bank statement goes on where the last one stopped.
    """
    already_sent = AuditLogEntry.objects.filter(
        action=CONFIRMATION_SENT,
        object_type=Order._meta.label_lower,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
    )
    paid_late = Payment.objects.filter(
        order=OuterRef("pk"), state=PaymentState.CONFIRMED, method__in=LATE_METHODS
    )
    orders = (
        Order.objects.filter(
            channel=Channel.PORTAL,
            state=OrderState.PAID,
            paid_at__gte=timezone.now() - since,
        )
        .exclude(email="")
        .filter(Exists(paid_late))
        .exclude(Exists(already_sent))
        .select_related("municipality")
        .order_by("paid_at", "pk")[:limit]
    )
    return sum(
        send_order_confirmation_once(order, base_url=portal_base_url(order.municipality))
        for order in orders
    )


def portal_base_url(municipality: Municipality) -> str:
    """Return the portal's address for links in e-mails sent outside a request.

    The order of choice is ``PORTAL_URL``, then the municipality's domain over HTTPS, then
    the local address of ``./serve``.
    """
    if settings.PORTAL_URL:
        return settings.PORTAL_URL
    if municipality.domain:
        return f"https://{municipality.domain}/"
    return "http://127.0.0.1:8000/"


def _send_confirmation(order: Order, base_url: str) -> None:
    from stadtkasse.payments.receipts import render_receipt_pdf

    lines = list(order.lines.all())
    with translation.override(order.locale or settings.LANGUAGE_CODE):
        context = {
            "order": order,
            "lines": lines,
            "vat_totals": vat_totals(lines),
            "link": order_link(order, base_url),
            "municipality": order.municipality,
        }
        subject = render_to_string("portal/mail/confirmation_subject.txt", context).strip()
        body = render_to_string("portal/mail/confirmation.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])
    message.attach(f"Beleg-{order.code}.pdf", render_receipt_pdf(order), "application/pdf")
    message.send()


def send_verification_mail(user, *, base_url: str) -> None:
    """Send the link that confirms a citizen's e-mail address."""
    path = reverse("portal:verify_email", args=[verification_token(user)])
    context = {"user": user, "link": f"{base_url.rstrip('/')}{path}", "days": VERIFICATION_DAYS}
    subject = render_to_string("portal/mail/verification_subject.txt", context).strip()
    body = render_to_string("portal/mail/verification.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    logger.info("verification e-mail sent: user=%s", user.pk)
