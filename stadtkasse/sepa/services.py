"""SEPA services: transfer details with GiroCode, mandates, and direct debits.

Locking rule as in the payment services: the payment row first, then the order row.
The pain file exports live in ``stadtkasse.sepa.exports``.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from schwifty import IBAN

from stadtkasse.core.models import Municipality
from stadtkasse.core.money import format_cents
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState
from stadtkasse.sepa import validation
from stadtkasse.sepa.calendar import add_business_days
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.girocode import TransferData
from stadtkasse.sepa.models import (
    DebitState,
    DirectDebit,
    MandateType,
    SepaMandate,
    SepaSettings,
)

logger = logging.getLogger(__name__)

# Days a citizen has to make a transfer, and the days after that before the order expires.
TRANSFER_DUE_DAYS = 14
TRANSFER_GRACE_DAYS = 14
# The mandate text shortens the pre-notification period of the SEPA core scheme (14
# calendar days unless agreed otherwise) to this many business days.
PRE_NOTIFICATION_BUSINESS_DAYS = 5
# Days after the collection date before a debited order expires; the bank statement
# confirms the debit well within them.
DEBIT_GRACE_DAYS = 14
# Return reasons after which a mandate cannot be used again: account closed or blocked,
# no mandate, debtor deceased, mandate revoked, IBAN wrong.
MANDATE_ENDING_REASONS = {"AC01", "AC04", "AC06", "MD01", "MD07", "SL01"}


def sepa_settings(municipality: Municipality) -> SepaSettings:
    """Return the municipality's bank account and creditor ID; raise SepaError if missing."""
    found = SepaSettings.objects.filter(municipality=municipality).first()
    if found is None:
        raise SepaError("no_sepa_settings", municipality=municipality.name)
    return found


def local_today() -> date:
    return timezone.localdate()


def extend_payment_deadline(order: Order, until: datetime, *, cause: str) -> bool:
    """Move the expiry of a pending order later, never earlier; return whether it changed.

    A transfer or a debit takes days, not the minutes an online payment gets.
    """
    updated = (
        Order.objects.filter(pk=order.pk, state=OrderState.PENDING_PAYMENT)
        .exclude(expires_at__gte=until)
        .update(expires_at=until)
    )
    if updated:
        order.expires_at = until
        audit(
            "order.deadline_extended",
            order,
            municipality=order.municipality,
            data={"until": until.isoformat(), "cause": cause},
        )
    return bool(updated)


def _end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.max.time()))


# Transfers


@dataclass
class TransferDetails:
    """Payee, account, amount, due date and reference of an order paid by transfer."""

    payment: Payment
    payee_name: str
    iban: str
    bic: str
    bank_name: str
    amount_cents: int
    due_date: date
    kassenzeichen: str
    remittance_text: str

    @property
    def iban_display(self) -> str:
        return validation.format_iban(self.iban)

    @property
    def amount(self) -> str:
        return format_cents(self.amount_cents)

    @property
    def transfer_data(self) -> TransferData:
        return TransferData(
            name=self.payee_name,
            iban=self.iban,
            bic=self.bic,
            amount_cents=self.amount_cents,
            text=self.remittance_text,
        )


def transfer_due_date(payment: Payment) -> date:
    return timezone.localdate(payment.created_at) + timedelta(days=TRANSFER_DUE_DAYS)


def transfer_details(payment: Payment) -> TransferDetails:
    """Return payee, account, amount, due date and reference of a payment by transfer.

    The remittance text is the Kassenzeichen alone, because the bank statement matching
    looks for it there.
    """
    order = payment.order
    account = sepa_settings(order.municipality)
    return TransferDetails(
        payment=payment,
        payee_name=account.payee_name,
        iban=account.iban,
        bic=account.bic,
        bank_name=account.bank_name,
        amount_cents=payment.amount_cents,
        due_date=transfer_due_date(payment),
        kassenzeichen=order.kassenzeichen,
        remittance_text=order.kassenzeichen,
    )


def prepare_transfer(payment: Payment) -> None:
    """Give a new payment by transfer its due date: the order waits until then and a bit."""
    sepa_settings(payment.order.municipality)
    until = _end_of_day(transfer_due_date(payment) + timedelta(days=TRANSFER_GRACE_DAYS))
    extend_payment_deadline(payment.order, until, cause=f"transfer {payment.reference}")


# Mandates


def mandate_reference(account: SepaSettings, order: Order) -> str:
    """Return a new mandate reference "<prefix>-<Kassenzeichen>", numbered if taken."""
    base = f"{account.mandate_prefix}-{order.kassenzeichen}"[:32]
    reference = base
    number = 1
    while SepaMandate.objects.filter(reference=reference).exists():
        number += 1
        reference = f"{base}-{number}"
    return reference


def mandate_text(
    account: SepaSettings,
    *,
    reference: str,
    mandate_type: str,
    account_holder: str = "",
    iban: str = "",
    address: str = "",
) -> str:
    """Return the mandate text in the active language; with holder and IBAN once accepted.

    ``address`` is the holder's postal address on one line, added when given.
    """
    kind = (
        _("SEPA core direct debit mandate for a recurring payment")
        if mandate_type == MandateType.RECURRING
        else _("SEPA core direct debit mandate for a one-off payment")
    )
    if mandate_type == MandateType.RECURRING:
        authorisation = _(
            "I authorise %(name)s to collect payments from my account by SEPA direct debit. "
            "At the same time I instruct my bank to pay the direct debits drawn by "
            "%(name)s on my account."
        )
        period = _(
            "The period for the pre-notification of each debit is shortened to "
            "%(days)s business days."
        )
    else:
        authorisation = _(
            "I authorise %(name)s to collect a one-off payment from my account by SEPA "
            "direct debit. At the same time I instruct my bank to pay the direct debit "
            "drawn by %(name)s on my account."
        )
        period = _(
            "The period for the pre-notification of the debit is shortened to "
            "%(days)s business days."
        )
    lines = [
        kind,
        _("Creditor: %(name)s") % {"name": account.payee_name},
        _("Creditor identifier: %(creditor_id)s") % {"creditor_id": account.creditor_id},
        _("Mandate reference: %(reference)s") % {"reference": reference},
        "",
        authorisation % {"name": account.payee_name},
        _(
            "Note: I can demand a refund of the amount debited within eight weeks, "
            "starting from the date of the debit. The terms agreed with my bank apply."
        ),
        period % {"days": PRE_NOTIFICATION_BUSINESS_DAYS},
    ]
    if account_holder or iban:
        lines += [
            "",
            _("Account holder: %(name)s") % {"name": account_holder},
            _("IBAN: %(iban)s") % {"iban": validation.format_iban(iban)},
        ]
        if address:
            lines.append(_("Address: %(address)s") % {"address": address})
    return "\n".join(lines)


@dataclass
class MandateForm:
    """The mandate form as the citizen sent it."""

    account_holder: str = ""
    iban: str = ""
    mandate_type: str = ""
    accepted: bool = False
    street: str = ""
    postcode: str = ""
    town: str = ""
    country: str = ""


class MandateInvalid(Exception):
    """The mandate form has errors; ``errors`` maps each field to its German message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(", ".join(sorted(errors)))


@dataclass
class PostalAddress:
    """The account holder's postal address, with every part empty when none was given."""

    street: str = ""
    postcode: str = ""
    town: str = ""
    country: str = ""

    def is_empty(self) -> bool:
        return not (self.street or self.postcode or self.town or self.country)

    def one_line(self) -> str:
        """Return the address as "street, postcode town, country", leaving out empty parts."""
        place = " ".join(part for part in (self.postcode, self.town) if part)
        return ", ".join(part for part in (self.street, place, self.country) if part)


@dataclass
class CheckedMandate:
    account_holder: str
    iban: str
    bic: str
    mandate_type: str
    address: PostalAddress


# Form field, maximum length and the error code used when the IBAN requires the part.
_ADDRESS_PARTS = (
    ("street", validation.STREET_MAX, "missing_address_street"),
    ("postcode", validation.POSTCODE_MAX, "missing_address_postcode"),
    ("town", validation.TOWN_MAX, "missing_address_town"),
)


def _check_address(form: MandateForm, iban: IBAN | None, errors: dict[str, str]) -> PostalAddress:
    """Check the address fields and add their messages to ``errors``.

    Street, postcode and town are required when the IBAN's bank is outside the EEA, and
    optional otherwise. An empty country takes the IBAN's country code once any other
    part is given or the address is required.
    """
    required = iban is not None and validation.address_required(iban)
    address = PostalAddress()
    for name, max_length, missing_code in _ADDRESS_PARTS:
        try:
            value = validation.check_address_part(getattr(form, name), max_length)
        except SepaError as error:
            errors[name] = error.message
            continue
        if required and not value:
            errors[name] = SepaError(missing_code).message
        setattr(address, name, value)

    if validation.clean_text(form.country):
        try:
            address.country = validation.check_country(form.country)
        except SepaError as error:
            errors["country"] = error.message
    elif iban is not None and (required or not address.is_empty()):
        address.country = iban.country_code
    return address


def check_mandate_form(form: MandateForm) -> CheckedMandate:
    """Check every field of the mandate form; raise MandateInvalid with all messages."""
    errors: dict[str, str] = {}
    holder = iban = bic = ""
    parsed = None
    try:
        holder = validation.check_account_holder(form.account_holder)
    except SepaError as error:
        errors["account_holder"] = error.message
    try:
        parsed = validation.check_iban(form.iban)
        iban = parsed.compact
        bic = validation.bic_for_iban(parsed)
    except SepaError as error:
        errors["iban"] = error.message
    address = _check_address(form, parsed, errors)
    if form.mandate_type not in MandateType.values:
        errors["mandate_type"] = SepaError("invalid_mandate_type").message
    if not form.accepted:
        errors["accepted"] = SepaError("mandate_not_accepted").message
    if errors:
        raise MandateInvalid(errors)
    return CheckedMandate(holder, iban, bic, form.mandate_type, address)


def debit_due_date(today: date | None = None) -> date:
    """Return the earliest collection date that respects the pre-notification period."""
    return add_business_days(today or local_today(), PRE_NOTIFICATION_BUSINESS_DAYS)


def capture_mandate(payment: Payment, form: MandateForm, *, language: str = "de") -> DirectDebit:
    """Store the accepted mandate and schedule the debit of the payment.

    A second submit for the same payment returns the debit of the first. Raises
    MandateInvalid for form errors and SepaError when the payment is no longer open.
    """
    checked = check_mandate_form(form)
    account = sepa_settings(payment.order.municipality)

    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        existing = DirectDebit.objects.filter(payment=payment).first()
        if existing is not None:
            return existing
        order = (
            Order.objects.select_for_update()
            .select_related("municipality")
            .get(pk=payment.order_id)
        )
        if (
            payment.method != PaymentMethod.SEPA_DEBIT
            or payment.state != PaymentState.PENDING
            or order.state != OrderState.PENDING_PAYMENT
        ):
            raise SepaError("payment_not_open", code=order.code)

        reference = mandate_reference(account, order)
        with translation.override(language):
            text = mandate_text(
                account,
                reference=reference,
                mandate_type=checked.mandate_type,
                account_holder=checked.account_holder,
                iban=checked.iban,
                address=checked.address.one_line(),
            )
        mandate = SepaMandate.objects.create(
            municipality=order.municipality,
            reference=reference,
            mandate_type=checked.mandate_type,
            account_holder=checked.account_holder,
            iban=checked.iban,
            bic=checked.bic,
            address_street=checked.address.street,
            address_postcode=checked.address.postcode,
            address_town=checked.address.town,
            address_country=checked.address.country,
            creditor_id=account.creditor_id,
            signed_on=local_today(),
            text=text,
        )
        debit = DirectDebit.objects.create(
            payment=payment,
            mandate=mandate,
            amount_cents=payment.amount_cents,
            due_date=debit_due_date(),
            end_to_end_id=payment.reference.hex,
        )
        PaymentEvent.objects.create(
            payment=payment,
            from_state=payment.state,
            to_state=payment.state,
            cause=f"mandate {reference} accepted, debit due {debit.due_date.isoformat()}",
        )
        extend_payment_deadline(
            order,
            _end_of_day(debit.due_date + timedelta(days=DEBIT_GRACE_DAYS)),
            cause=f"direct debit {payment.reference}",
        )
        audit(
            "sepa.mandate_accepted",
            mandate,
            municipality=order.municipality,
            data={"order": order.code, "type": checked.mandate_type},
        )

    logger.info(
        "mandate accepted: order=%s mandate=%s type=%s due=%s",
        order.code,
        reference,
        checked.mandate_type,
        debit.due_date.isoformat(),
    )
    return debit


def remittance_text(kassenzeichen: str, order_code: str, language: str = "de") -> str:
    """Return the remittance line of a debit: the Kassenzeichen and the order code."""
    return _remittance_template(language or "de") % {
        "kassenzeichen": kassenzeichen,
        "code": order_code,
    }


@cache
def _remittance_template(language: str) -> str:
    # Cached per language: an export formats thousands of lines, and the catalogs are
    # loaded once per process anyway.
    with translation.override(language):
        return pgettext("remittance", "Kassenzeichen %(kassenzeichen)s order %(code)s")


# Returned debits


def debit_for_end_to_end_id(end_to_end_id: str) -> DirectDebit | None:
    """Return the direct debit a bank statement entry names by its EndToEndId, or None."""
    value = (end_to_end_id or "").strip()
    if not value:
        return None
    return (
        DirectDebit.objects.select_related("payment", "payment__order", "mandate")
        .filter(end_to_end_id__iexact=value)
        .first()
    )


def mark_returned(
    debit: DirectDebit,
    *,
    reason_code: str,
    fee_cents: int | None = None,
    returned_at: datetime | None = None,
) -> DirectDebit:
    """Record that the payer's bank returned the debit; the same return twice counts once.

    A reason that ends the mandate (closed account, no mandate, debtor deceased) revokes
    a recurring mandate so that no further debit is drawn on it. Reopening the order and
    booking the fee are the job of ``stadtkasse.payments.refunds.record_chargeback``.
    """
    reason_code = (reason_code or "").strip().upper()[:4]
    with transaction.atomic():
        debit = DirectDebit.objects.select_for_update().select_related("mandate").get(pk=debit.pk)
        if debit.state == DebitState.RETURNED:
            return debit
        debit.state = DebitState.RETURNED
        debit.returned_at = returned_at or timezone.now()
        debit.return_reason = reason_code
        debit.return_fee_cents = fee_cents
        debit.save(update_fields=["state", "returned_at", "return_reason", "return_fee_cents"])

        mandate = debit.mandate
        if reason_code in MANDATE_ENDING_REASONS and mandate.revoked_at is None:
            mandate.revoked_at = debit.returned_at
            mandate.revocation_reason = f"debit returned with {reason_code}"
            mandate.save(update_fields=["revoked_at", "revocation_reason"])
        audit(
            "sepa.debit_returned",
            debit,
            municipality=mandate.municipality,
            data={"reason": reason_code, "fee_cents": fee_cents, "mandate": mandate.reference},
        )
    logger.info(
        "direct debit returned: e2e=%s mandate=%s reason=%s",
        debit.end_to_end_id,
        debit.mandate.reference,
        reason_code,
    )
    return debit


def record_return_of_debit(sender, *, payment, reason_code: str, fee_cents: int, **kwargs) -> None:
    """Mark the direct debit of a returned payment, when the payment was one (signal receiver)."""
    debit = debit_for_end_to_end_id(payment.reference.hex)
    if debit is not None:
        mark_returned(debit, reason_code=reason_code, fee_cents=fee_cents)
