"""E-mails for payments by transfer and direct debit: payment details and pre-notification.

Each goes out once per payment; the audit log records it, as the order confirmation does.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.core.services import audit
from stadtkasse.payments.models import Payment
from stadtkasse.portal.services.mail import order_link
from stadtkasse.sepa.models import DirectDebit
from stadtkasse.sepa.notice import render_fee_notice_pdf
from stadtkasse.sepa.services import TransferDetails

logger = logging.getLogger(__name__)

TRANSFER_DETAILS_SENT = "sepa.transfer_details_sent"
PRE_NOTIFICATION_SENT = "sepa.pre_notification_sent"


def _send_once(payment: Payment, action: str, build) -> bool:
    """Lock the payment, send the message ``build()`` returns unless sent before, record it."""
    order = payment.order
    if not order.email:
        return False
    try:
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment.pk)
            already_sent = AuditLogEntry.objects.filter(
                action=action, object_type=payment._meta.label_lower, object_id=str(payment.pk)
            ).exists()
            if already_sent:
                return False
            with translation.override(order.locale or settings.LANGUAGE_CODE):
                message = build()
            message.send()
            audit(action, payment, municipality=order.municipality)
    except Exception:
        # The payment is unaffected; the next page view tries the e-mail again.
        logger.exception("%s e-mail failed: order=%s", action, order.code)
        return False
    logger.info("%s e-mail sent: order=%s payment=%s", action, order.code, payment.reference)
    return True


def send_transfer_details_once(details: TransferDetails, *, base_url: str) -> bool:
    """Send the transfer details with the fee notice (PDF with GiroCode) attached."""
    payment = details.payment
    order = payment.order

    def build() -> EmailMessage:
        context = {
            "details": details,
            "order": order,
            "municipality": order.municipality,
            "link": order_link(order, base_url),
        }
        subject = render_to_string("portal/sepa/mail/transfer_subject.txt", context).strip()
        body = render_to_string("portal/sepa/mail/transfer.txt", context)
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])
        message.attach(
            f"Zahlungsaufforderung-{order.code}.pdf",
            render_fee_notice_pdf(details),
            "application/pdf",
        )
        return message

    return _send_once(payment, TRANSFER_DETAILS_SENT, build)


def send_pre_notification_once(debit: DirectDebit, *, base_url: str) -> bool:
    """Send the pre-notification: amount, due date, mandate reference and creditor ID."""
    payment = debit.payment
    order = payment.order

    def build() -> EmailMessage:
        context = {
            "debit": debit,
            "mandate": debit.mandate,
            "order": order,
            "municipality": order.municipality,
            "link": order_link(order, base_url),
        }
        subject = render_to_string("portal/sepa/mail/pre_notification_subject.txt", context).strip()
        body = render_to_string("portal/sepa/mail/pre_notification.txt", context)
        return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])

    return _send_once(payment, PRE_NOTIFICATION_SENT, build)
