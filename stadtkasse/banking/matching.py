"""Match bank transactions to orders and payments, and confirm what matched.

Matching works on batches of stored transactions so that orders and payments are looked
up with one query per batch, not one per line. Each matched credit is then confirmed
through ``apply_provider_result`` of the payment services, which settles the order or
flags the payment for clarification (partial payment, overpayment, order already paid).
"""

import difflib
import logging
import uuid
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from stadtkasse.banking import references
from stadtkasse.banking.camt import ParsedTransaction
from stadtkasse.banking.models import (
    BankAllocation,
    BankTransaction,
    MatchState,
    TransactionKind,
)
from stadtkasse.core.money import format_cents
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments import bulk
from stadtkasse.payments import services as payment_services
from stadtkasse.payments.models import Payment, PaymentMethod, PaymentState
from stadtkasse.payments.providers.base import ProviderResult

logger = logging.getLogger(__name__)

PROVIDER = "bank"
MAX_CANDIDATES = 5
PAYABLE_STATES = (OrderState.OPEN, OrderState.PENDING_PAYMENT)


def scheme_of(municipality) -> references.Scheme:
    return references.Scheme(
        prefix=municipality.kassenzeichen_prefix,
        width=municipality.kassenzeichen_width,
        method=municipality.kassenzeichen_method,
    )


@dataclass
class _Plan:
    """What the batch lookup found for one credit transaction."""

    payment: Payment | None = None
    orders: list[Order] = field(default_factory=list)
    # Kassenzeichen read from the line, for candidates when nothing matched.
    digit_strings: list[str] = field(default_factory=list)


class Matcher:
    """Match the transactions of one import; keeps open amounts across batches."""

    def __init__(self, municipality, *, cause: str, user=None):
        self.municipality = municipality
        self.scheme = scheme_of(municipality)
        self.cause = cause
        self.user = user
        # Open amount per order id, reduced as lines of this import pay it.
        self._open_cents: dict[int, int] = {}

    # -- the batch ----------------------------------------------------------------------

    def match_batch(self, rows: list[tuple[BankTransaction, ParsedTransaction]]) -> None:
        """Match stored transactions, confirm payments and record allocations and states."""
        credits = [
            (row, parsed)
            for row, parsed in rows
            if row.kind in (TransactionKind.TRANSFER, TransactionKind.COLLECTION)
        ]
        plans = self._plan_credits(credits)
        settled = self._confirm_in_bulk(plans)
        unmatched = []
        for row, _parsed in rows:
            if row in settled:
                continue
            if row.kind == TransactionKind.RETURN:
                self._match_return(row)
            elif row.kind == TransactionKind.REVERSAL:
                self._match_reversal(row)
            elif row in plans:
                plan = plans[row]
                self._match_credit(row, plan)
                if row.state == MatchState.UNMATCHED:
                    unmatched.append((row, plan))
        if unmatched:
            self._add_candidates(unmatched)

    def _confirm_in_bulk(self, plans: dict[BankTransaction, "_Plan"]) -> set[BankTransaction]:
        """Confirm the transfers that pay one order exactly, a few queries per batch.

        Returns the rows it settled; the others go through ``confirm`` line by line,
        where partial, late and repeated payments get their clarification.
        """
        credits = [
            bulk.Credit(
                key=row,
                order_id=plan.orders[0].pk,
                amount_cents=row.amount_cents,
                provider_reference=row.bank_reference or row.entry_reference,
                data={
                    "payer_iban": row.counterparty_iban,
                    "payer_name": row.counterparty_name,
                    "bank_line": row.pk,
                },
            )
            for row, plan in plans.items()
            if row.kind == TransactionKind.TRANSFER
            and plan.payment is None
            and len(plan.orders) == 1
            and self.open_cents(plan.orders[0]) == row.amount_cents
        ]
        payments = bulk.confirm_credits(credits, provider=PROVIDER, cause=self.cause)
        allocations = []
        for row, payment in payments.items():
            order = plans[row].orders[0]
            self._open_cents[order.pk] = self.open_cents(order) - row.amount_cents
            allocations.append(
                BankAllocation(
                    transaction=row, order=order, payment=payment, amount_cents=row.amount_cents
                )
            )
            row.state = MatchState.MATCHED
        BankAllocation.objects.bulk_create(allocations)
        return set(payments)

    def _plan_credits(self, credits) -> dict[BankTransaction, _Plan]:
        plans: dict[BankTransaction, _Plan] = {}
        payment_refs: dict[BankTransaction, uuid.UUID] = {}
        wanted_kz: dict[BankTransaction, list[str]] = {}
        for row, parsed in credits:
            plan = plans[row] = _Plan()
            reference = references.payment_reference_hex(parsed.end_to_end_id)
            if reference:
                payment_refs[row] = uuid.UUID(reference)
            texts = references.join_remittance(parsed.remittance_lines)
            found = []
            for structured in parsed.structured_references:
                from_rf = references.kassenzeichen_from_creditor_reference(structured, self.scheme)
                if from_rf:
                    found.append(from_rf)
                else:
                    texts.append(structured)
            found += [
                item.kassenzeichen for item in references.find_kassenzeichen(texts, self.scheme)
            ]
            wanted_kz[row] = list(dict.fromkeys(found))
            plan.digit_strings = references.digit_strings(texts, self.scheme)

        payments = {
            payment.reference: payment
            for payment in Payment.objects.filter(
                reference__in=list(payment_refs.values()), order__municipality=self.municipality
            ).select_related("order")
        }
        orders = self._orders_by_kassenzeichen(
            {kz for values in wanted_kz.values() for kz in values}
        )
        for row, plan in plans.items():
            plan.payment = payments.get(payment_refs.get(row))
            if plan.payment is None:
                plan.orders = [orders[kz] for kz in wanted_kz[row] if kz in orders]
        return plans

    def _orders_by_kassenzeichen(self, values: set[str]) -> dict[str, Order]:
        if not values:
            return {}
        orders = Order.objects.filter(
            municipality=self.municipality, kassenzeichen__in=values
        ).annotate(
            paid_cents=Sum(
                "payments__amount_cents", filter=Q(payments__state=PaymentState.CONFIRMED)
            )
        )
        result = {}
        for order in orders:
            self._open_cents.setdefault(order.pk, order.total_cents - (order.paid_cents or 0))
            result[order.kassenzeichen] = order
        return result

    # -- credits ------------------------------------------------------------------------

    def _match_credit(self, row: BankTransaction, plan: _Plan) -> None:
        if plan.payment is not None:
            self.confirm(row, plan.payment.order, row.amount_cents, payment=plan.payment)
            return
        if not plan.orders:
            row.state = MatchState.UNMATCHED
            row.note = _("No Kassenzeichen or payment reference of an order was found.")
            return
        if len(plan.orders) == 1:
            self.confirm(row, plan.orders[0], row.amount_cents)
            return

        open_amounts = [max(self.open_cents(order), 0) for order in plan.orders]
        if sum(open_amounts) != row.amount_cents or 0 in open_amounts:
            row.state = MatchState.PARTLY_MATCHED
            row.note = _(
                "The transfer names %(count)d orders, but their open amounts of %(open)s "
                "do not add up to %(amount)s. Please assign it by hand."
            ) % {
                "count": len(plan.orders),
                "open": format_cents(sum(open_amounts)),
                "amount": format_cents(row.amount_cents),
            }
            row.candidates = [
                self._candidate(order, 100, ["kassenzeichen"]) for order in plan.orders
            ]
            return
        for order, amount in zip(plan.orders, open_amounts, strict=True):
            self.confirm(row, order, amount)

    def open_cents(self, order: Order) -> int:
        """Return the amount still open on an order, counting this import's payments."""
        if order.pk not in self._open_cents:
            paid = (
                Payment.objects.filter(order=order, state=PaymentState.CONFIRMED).aggregate(
                    total=Sum("amount_cents")
                )["total"]
                or 0
            )
            self._open_cents[order.pk] = order.total_cents - paid
        return self._open_cents[order.pk]

    def confirm(
        self, row: BankTransaction, order: Order, amount_cents: int, *, payment=None
    ) -> None:
        """Confirm a payment of the order with the credited amount and record the allocation.

        A payment named by the EndToEndId is used while it is pending; otherwise the
        order's pending transfer is used, or a new transfer payment is created.
        """
        if payment is None and debit_pending(order):
            # A transfer for an order whose direct debit waits to be collected would
            # charge the citizen twice; the treasury decides.
            row.state = MatchState.UNMATCHED
            row.note = _(
                "Order %(code)s is being collected by SEPA direct debit, so the transfer was "
                "not booked. Please clarify it with the payer."
            ) % {"code": order.code}
            return
        if payment is not None and payment.state != PaymentState.PENDING:
            method = payment.method
            payment = None
        else:
            method = payment.method if payment is not None else PaymentMethod.TRANSFER
        if payment is None:
            payment = (
                Payment.objects.filter(
                    order=order, method=PaymentMethod.TRANSFER, state=PaymentState.PENDING
                )
                .order_by("pk")
                .first()
                if method == PaymentMethod.TRANSFER
                else None
            )
        if payment is None:
            payment = Payment.objects.create(
                order=order,
                method=method,
                provider=PROVIDER,
                amount_cents=amount_cents,
                state=PaymentState.PENDING,
            )

        # This path sends about ten queries per line; the common case of a transfer that
        # pays one order exactly goes through _confirm_in_bulk instead.
        payment = payment_services.apply_provider_result(
            ProviderResult(
                payment_reference=str(payment.reference),
                state=PaymentState.CONFIRMED,
                amount_cents=amount_cents,
                provider_reference=row.bank_reference or row.entry_reference,
                data={
                    "payer_iban": row.counterparty_iban,
                    "payer_name": row.counterparty_name,
                    "bank_line": row.pk,
                },
            ),
            cause=self.cause,
        )
        self._open_cents[order.pk] = self.open_cents(order) - amount_cents
        BankAllocation.objects.create(
            transaction=row, order=order, payment=payment, amount_cents=amount_cents
        )
        if payment.needs_clarification:
            row.state = MatchState.PARTLY_MATCHED
            row.note = _("The payment was booked but needs clarification: %(reason)s.") % {
                "reason": payment.get_clarification_reason_display()
            }
        elif row.state != MatchState.PARTLY_MATCHED:
            row.state = MatchState.MATCHED

    # -- debits -------------------------------------------------------------------------

    def _match_return(self, row: BankTransaction) -> None:
        """Record a returned direct debit against the payment named by the EndToEndId."""
        reference = references.payment_reference_hex(row.end_to_end_id)
        payment = (
            Payment.objects.filter(
                reference=uuid.UUID(reference), order__municipality=self.municipality
            )
            .select_related("order")
            .first()
            if reference
            else None
        )
        if payment is None:
            row.state = MatchState.UNMATCHED
            row.note = _("The returned direct debit names no payment of Stadtkasse.")
            return
        self._record_chargeback(
            row,
            payment,
            row.amount_cents,
            row.return_reason,
            row.bank_reference or row.entry_reference,
        )
        BankAllocation.objects.create(
            transaction=row, order=payment.order, payment=payment, amount_cents=-row.amount_cents
        )

    def _match_reversal(self, row: BankTransaction) -> None:
        """Undo the match of the credit that the bank reversed; nothing is deleted."""
        original = self._reversed_credit(row)
        if original is None:
            row.state = MatchState.UNMATCHED
            row.note = _("The bank reversed a booking that was not found among the imported lines.")
            return

        BankTransaction.objects.filter(pk=original.pk).update(
            reversed_by=row,
            **(
                {
                    "state": MatchState.RESOLVED,
                    "note": _("Reversed by the bank."),
                    "resolved_at": timezone.now(),
                }
                if original.state in (MatchState.UNMATCHED, MatchState.PARTLY_MATCHED)
                else {}
            ),
        )
        for allocation in original.allocations.select_related("payment", "order"):
            if allocation.amount_cents <= 0:
                continue
            # One reference per allocation, because record_chargeback treats a second
            # call with the same reference as a repeat of the first.
            reference = f"{row.bank_reference or row.entry_reference}/{allocation.pk}"
            self._record_chargeback(
                row, allocation.payment, allocation.amount_cents, row.return_reason, reference
            )
            BankAllocation.objects.create(
                transaction=row,
                order=allocation.order,
                payment=allocation.payment,
                amount_cents=-allocation.amount_cents,
            )
        if row.state != MatchState.PARTLY_MATCHED:
            row.state = MatchState.MATCHED
        row.note = _("Reversal of line %(line)s.") % {"line": original.pk}

    def _reversed_credit(self, row: BankTransaction) -> BankTransaction | None:
        earlier = BankTransaction.objects.filter(
            account_iban=row.account_iban,
            direction="CRDT" if row.direction == "DBIT" else "DBIT",
            is_reversal=False,
            reversed_by__isnull=True,
            amount_cents=row.amount_cents,
        ).exclude(pk=row.pk)
        if row.end_to_end_id:
            earlier = earlier.filter(end_to_end_id=row.end_to_end_id)
        elif row.bank_reference:
            earlier = earlier.filter(bank_reference=row.bank_reference)
        else:
            earlier = earlier.filter(
                remittance=row.remittance, counterparty_iban=row.counterparty_iban
            )
        return earlier.order_by("-pk").first()

    def _record_chargeback(
        self, row, payment: Payment, amount_cents: int, reason: str, reference: str
    ) -> None:
        record = getattr(payment_services, "record_chargeback", None)
        if record is None:
            # NOTE: the payment services have no record_chargeback yet; the line stays in
            # the clarification list so that the treasury books the return by hand.
            row.state = MatchState.PARTLY_MATCHED
            row.note = _("The return could not be booked automatically. Please book it by hand.")
            return
        record(
            payment,
            amount_cents=amount_cents,
            reason_code=reason,
            fee_cents=row.charges_cents,
            reference=reference,
            cause=self.cause,
        )
        row.state = MatchState.MATCHED

    # -- candidates ---------------------------------------------------------------------

    def _add_candidates(self, unmatched: list[tuple[BankTransaction, _Plan]]) -> None:
        """Offer the orders most like each unmatched line: Kassenzeichen, amount, name."""
        similar = {
            row: {
                v
                for digits in plan.digit_strings
                for v in references.similar_kassenzeichen(digits, self.scheme)
            }
            for row, plan in unmatched
        }
        by_kz = {
            order.kassenzeichen: order
            for order in Order.objects.filter(
                municipality=self.municipality,
                kassenzeichen__in={v for values in similar.values() for v in values},
            ).select_related("customer")
        }
        for row, plan in unmatched:
            scored: dict[int, tuple[int, Order, list[str]]] = {}
            for value in similar[row]:
                order = by_kz.get(value)
                if order is not None:
                    ratio = max(
                        difflib.SequenceMatcher(None, digits, value).ratio()
                        for digits in plan.digit_strings
                    )
                    self._score(scored, order, int(60 * ratio), "kassenzeichen")
            same_amount = (
                Order.objects.filter(
                    municipality=self.municipality,
                    total_cents=row.amount_cents,
                    state__in=PAYABLE_STATES,
                )
                .select_related("customer")
                .order_by("-created_at")[:MAX_CANDIDATES]
            )
            for order in same_amount:
                self._score(scored, order, 0, "")
            for order_pk, (score, order, reasons) in list(scored.items()):
                if order.total_cents == row.amount_cents:
                    score += 30
                    reasons.append("amount")
                name = _customer_name(order)
                if name and row.counterparty_name:
                    ratio = difflib.SequenceMatcher(
                        None, name.lower(), row.counterparty_name.lower()
                    ).ratio()
                    if ratio > 0.6:
                        score += int(10 * ratio)
                        reasons.append("name")
                scored[order_pk] = (score, order, reasons)
            best = sorted(scored.values(), key=lambda item: (-item[0], item[1].pk))
            row.candidates = [
                self._candidate(order, score, reasons)
                for score, order, reasons in best[:MAX_CANDIDATES]
            ]

    @staticmethod
    def _score(scored: dict, order: Order, points: int, reason: str) -> None:
        score, _order, reasons = scored.get(order.pk, (0, order, []))
        scored[order.pk] = (score + points, order, reasons + ([reason] if reason else []))

    def _candidate(self, order: Order, score: int, reasons: list[str]) -> dict:
        return {
            "order": order.code,
            "kassenzeichen": order.kassenzeichen,
            "kassenzeichen_display": order.kassenzeichen_display,
            "total_cents": order.total_cents,
            "open_cents": self.open_cents(order),
            "state": order.state,
            "score": score,
            "reasons": reasons,
        }


def _customer_name(order: Order) -> str:
    customer = order.customer
    return customer.get_full_name() if customer is not None else ""


def debit_pending(order: Order) -> bool:
    """Tell whether a SEPA direct debit of the order waits to be collected."""
    return Payment.objects.filter(
        order_id=order.pk, method=PaymentMethod.SEPA_DEBIT, state=PaymentState.PENDING
    ).exists()
