"""Match bank transactions to orders and payments, and confirm what matched.

Matching works on batches of transactions so that orders and payments are looked up with
one query per batch, not one per line. A transfer that pays one order exactly is
confirmed in bulk by ``stadtkasse.payments.bulk``. Every other matched credit is
confirmed through ``apply_provider_result`` of the payment services, which settles the
order or flags the payment for clarification (partial payment, overpayment, order
already paid).
"""

import difflib
import logging
import uuid
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum, Window
from django.db.models.functions import RowNumber
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
from stadtkasse.core import kassenzeichen as kz
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
ALLOCATION_FIELDS = ("transaction_id", "order_id", "payment_id", "amount_cents", "created_at")


def scheme_of(municipality) -> references.Scheme:
    return references.Scheme(
        prefix=municipality.kassenzeichen_prefix,
        width=municipality.kassenzeichen_width,
        method=municipality.kassenzeichen_method,
    )


@dataclass(eq=False, slots=True)
class StoredLine:
    """A bank transaction of the import, with the fields that matching reads and sets.

    The import stores it between ``Matcher.prepare`` and ``Matcher.complete``, which
    needs its ``pk``. Matching accepts it wherever it accepts a BankTransaction, and it is
    far cheaper to make than a model instance for every line of a large file.
    """

    pk: int
    statement_id: int
    dedupe_key: str
    kind: str
    direction: str
    account_iban: str
    amount_cents: int
    charges_cents: int
    entry_reference: str
    bank_reference: str
    end_to_end_id: str
    remittance: str
    counterparty_name: str
    counterparty_iban: str
    return_reason: str
    state: str
    note: str = ""
    candidates: list = field(default_factory=list)
    # The references of the line, where they were read before ``Matcher.prepare``.
    search: "Search | None" = None


@dataclass(frozen=True, slots=True)
class Search:
    """The payment reference and the Kassenzeichen that a credit names, read from the file."""

    # Our payment reference, where the EndToEndId carries one.
    payment_reference: uuid.UUID | None
    # Kassenzeichen of the municipality's scheme, in the order the payer wrote them.
    kassenzeichen: tuple[str, ...]
    # The texts searched for a Kassenzeichen, for candidates when nothing matched.
    texts: list[str]


def search_references(parsed: ParsedTransaction, scheme: references.Scheme) -> Search:
    """Read the payment reference and the Kassenzeichen that a transaction names.

    It needs no database, so the import runs it in the thread that parses the file.
    """
    reference = references.payment_reference_hex(parsed.end_to_end_id)
    texts = references.join_remittance(parsed.remittance_lines)
    found = []
    for structured in parsed.structured_references:
        from_rf = references.kassenzeichen_from_creditor_reference(structured, scheme)
        if from_rf:
            found.append(from_rf)
        else:
            texts.append(structured)
    found += [item.kassenzeichen for item in references.find_kassenzeichen(texts, scheme)]
    return Search(
        payment_reference=uuid.UUID(reference) if reference else None,
        kassenzeichen=tuple(dict.fromkeys(found)),
        texts=texts,
    )


@dataclass(slots=True)
class OrderSummary:
    """The fields of an order that matching reads, loaded without a model instance."""

    pk: int
    code: str
    kassenzeichen: str
    total_cents: int
    state: str

    @property
    def kassenzeichen_display(self) -> str:
        return kz.display(self.kassenzeichen)


@dataclass
class _Plan:
    """What the batch lookup found for one credit transaction."""

    payment: Payment | None = None
    orders: list[OrderSummary] = field(default_factory=list)
    # The texts searched for a Kassenzeichen, for candidates when nothing matched.
    texts: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """A batch of lines between ``Matcher.prepare`` and ``Matcher.complete``."""

    lines: list[tuple[StoredLine, ParsedTransaction]]
    plans: dict[StoredLine, _Plan]
    selected: list[bulk.Selected]


class Matcher:
    """Match the transactions of one import, batch by batch."""

    def __init__(self, municipality, *, cause: str, user=None):
        self.municipality = municipality
        self.scheme = scheme_of(municipality)
        self.cause = cause
        self.user = user
        # Open amount per order id, reduced as lines of the batch pay it. Each batch
        # starts empty, because the payments of earlier batches are in the database then.
        self._open_cents: dict[int, int] = {}

    # -- the batch ----------------------------------------------------------------------

    def prepare(self, lines: list[tuple[StoredLine, ParsedTransaction]]) -> Batch:
        """Find the orders of the credits and select the transfers that pay one exactly.

        The selected lines are marked matched before they are stored, because
        ``complete`` confirms each of them. Their orders stay locked until the
        transaction ends.
        """
        self._open_cents = {}
        credits = [
            (row, parsed)
            for row, parsed in lines
            if row.kind in (TransactionKind.TRANSFER, TransactionKind.COLLECTION)
        ]
        plans = self._plan_credits(credits)
        selected = bulk.select_credits(
            [
                bulk.Credit(
                    key=row,
                    order_id=plan.orders[0].pk,
                    amount_cents=row.amount_cents,
                    provider_reference=row.bank_reference or row.entry_reference,
                    data={"payer_iban": row.counterparty_iban, "payer_name": row.counterparty_name},
                )
                for row, plan in plans.items()
                if row.kind == TransactionKind.TRANSFER
                and plan.payment is None
                and len(plan.orders) == 1
                and self.open_cents(plan.orders[0]) == row.amount_cents
            ]
        )
        for choice in selected:
            choice.credit.key.state = MatchState.MATCHED
        return Batch(lines, plans, selected)

    def complete(self, batch: Batch) -> None:
        """Confirm payments and record allocations and states for stored lines.

        The transfers selected by ``prepare`` are confirmed in bulk. The other lines go
        through ``confirm`` one by one, where partial, late and repeated payments get
        their clarification.
        """
        settled = self._confirm_in_bulk(batch)
        unmatched = []
        for row, _parsed in batch.lines:
            if row in settled:
                continue
            if row.kind == TransactionKind.RETURN:
                self._match_return(row)
            elif row.kind == TransactionKind.REVERSAL:
                self._match_reversal(row)
            elif row in batch.plans:
                plan = batch.plans[row]
                self._match_credit(row, plan)
                if row.state == MatchState.UNMATCHED:
                    unmatched.append((row, plan))
        if unmatched:
            self._add_candidates(unmatched)

    def _confirm_in_bulk(self, batch: Batch) -> set[StoredLine]:
        """Confirm the selected transfers with a few queries and return their lines."""
        for choice in batch.selected:
            choice.credit.data["bank_line"] = choice.credit.key.pk
        payments = bulk.confirm_selected(batch.selected, provider=PROVIDER, cause=self.cause)
        created_at = bulk.DbValues().datetime(timezone.now())
        allocations = []
        for row, payment_id in payments.items():
            order = batch.plans[row].orders[0]
            self._open_cents[order.pk] = self.open_cents(order) - row.amount_cents
            allocations.append((row.pk, order.pk, payment_id, row.amount_cents, created_at))
        bulk.insert_rows(BankAllocation, ALLOCATION_FIELDS, allocations)
        return set(payments)

    def _plan_credits(self, credits) -> dict[StoredLine, _Plan]:
        plans: dict[StoredLine, _Plan] = {}
        searches: dict[StoredLine, Search] = {}
        for row, parsed in credits:
            search = searches[row] = row.search or search_references(parsed, self.scheme)
            plans[row] = _Plan(texts=search.texts)

        # Django sends no query for an empty list of references.
        payment_refs = [s.payment_reference for s in searches.values() if s.payment_reference]
        payments = {
            payment.reference: payment
            for payment in Payment.objects.filter(
                reference__in=payment_refs, order__municipality=self.municipality
            ).select_related("order")
        }
        orders = self._orders_by_kassenzeichen(
            {value for search in searches.values() for value in search.kassenzeichen}
        )
        for row, plan in plans.items():
            search = searches[row]
            plan.payment = payments.get(search.payment_reference)
            if plan.payment is None:
                plan.orders = [orders[value] for value in search.kassenzeichen if value in orders]
        return plans

    def _orders_by_kassenzeichen(self, values: set[str]) -> dict[str, OrderSummary]:
        if not values:
            return {}
        orders = (
            Order.objects.filter(municipality=self.municipality, kassenzeichen__any_of=values)
            .annotate(
                paid_cents=Sum(
                    "payments__amount_cents", filter=Q(payments__state=PaymentState.CONFIRMED)
                )
            )
            .values_list("pk", "code", "kassenzeichen", "total_cents", "state", "paid_cents")
        )
        result = {}
        for pk, code, kassenzeichen, total_cents, state, paid_cents in orders:
            self._open_cents.setdefault(pk, total_cents - (paid_cents or 0))
            result[kassenzeichen] = OrderSummary(pk, code, kassenzeichen, total_cents, state)
        return result

    # -- credits ------------------------------------------------------------------------

    def _match_credit(self, row: StoredLine, plan: _Plan) -> None:
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

    def open_cents(self, order: Order | OrderSummary) -> int:
        """Return the amount still open on an order, counting this import's payments."""
        if order.pk not in self._open_cents:
            paid = (
                Payment.objects.filter(order_id=order.pk, state=PaymentState.CONFIRMED).aggregate(
                    total=Sum("amount_cents")
                )["total"]
                or 0
            )
            self._open_cents[order.pk] = order.total_cents - paid
        return self._open_cents[order.pk]

    def confirm(
        self,
        row: BankTransaction | StoredLine,
        order: Order | OrderSummary,
        amount_cents: int,
        *,
        payment=None,
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
                    order_id=order.pk, method=PaymentMethod.TRANSFER, state=PaymentState.PENDING
                )
                .order_by("pk")
                .first()
                if method == PaymentMethod.TRANSFER
                else None
            )
        if payment is None:
            payment = Payment.objects.create(
                order_id=order.pk,
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
            transaction_id=row.pk, order_id=order.pk, payment=payment, amount_cents=amount_cents
        )
        if payment.needs_clarification:
            row.state = MatchState.PARTLY_MATCHED
            row.note = _("The payment was booked but needs clarification: %(reason)s.") % {
                "reason": payment.get_clarification_reason_display()
            }
        elif row.state != MatchState.PARTLY_MATCHED:
            row.state = MatchState.MATCHED

    # -- debits -------------------------------------------------------------------------

    def _match_return(self, row: StoredLine) -> None:
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
            transaction_id=row.pk,
            order=payment.order,
            payment=payment,
            amount_cents=-row.amount_cents,
        )

    def _match_reversal(self, row: StoredLine) -> None:
        """Undo the match of the credit that the bank reversed; nothing is deleted."""
        original = self._reversed_credit(row)
        if original is None:
            row.state = MatchState.UNMATCHED
            row.note = _("The bank reversed a booking that was not found among the imported lines.")
            return

        BankTransaction.objects.filter(pk=original.pk).update(
            reversed_by_id=row.pk,
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
                transaction_id=row.pk,
                order=allocation.order,
                payment=allocation.payment,
                amount_cents=-allocation.amount_cents,
            )
        if row.state != MatchState.PARTLY_MATCHED:
            row.state = MatchState.MATCHED
        row.note = _("Reversal of line %(line)s.") % {"line": original.pk}

    def _reversed_credit(self, row: StoredLine) -> BankTransaction | None:
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

    def _add_candidates(self, unmatched: list[tuple[StoredLine, _Plan]]) -> None:
        """Offer the orders most like each unmatched line: Kassenzeichen, amount, name."""
        digit_strings = {
            row: references.digit_strings(plan.texts, self.scheme) for row, plan in unmatched
        }
        similar = {
            row: {
                v
                for digits in digit_strings[row]
                for v in references.similar_kassenzeichen(digits, self.scheme)
            }
            for row, _plan in unmatched
        }
        by_kz = {
            order.kassenzeichen: order
            for order in Order.objects.filter(
                municipality=self.municipality,
                kassenzeichen__in={v for values in similar.values() for v in values},
            ).select_related("customer")
        }
        same_amount = self._latest_orders_by_amount({row.amount_cents for row, _plan in unmatched})
        best_by_row = []
        for row, _plan in unmatched:
            scored: dict[int, tuple[int, Order, list[str]]] = {}
            for value in similar[row]:
                order = by_kz.get(value)
                if order is not None:
                    ratio = max(
                        difflib.SequenceMatcher(None, digits, value).ratio()
                        for digits in digit_strings[row]
                    )
                    self._score(scored, order, int(60 * ratio), "kassenzeichen")
            for order in same_amount.get(row.amount_cents, ()):
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
            best_by_row.append((row, best[:MAX_CANDIDATES]))

        self._load_open_cents([order for _row, best in best_by_row for _s, order, _r in best])
        for row, best in best_by_row:
            row.candidates = [
                self._candidate(order, score, reasons) for score, order, reasons in best
            ]

    def _latest_orders_by_amount(self, amounts: set[int]) -> dict[int, list[Order]]:
        """Return the newest payable orders per total, at most MAX_CANDIDATES each."""
        ranked = (
            Order.objects.filter(
                municipality=self.municipality,
                total_cents__in=amounts,
                state__in=PAYABLE_STATES,
            )
            .select_related("customer")
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=F("total_cents"),
                    order_by=[F("created_at").desc(), F("pk").desc()],
                )
            )
            .filter(rank__lte=MAX_CANDIDATES)
        )
        result: dict[int, list[Order]] = {}
        for order in ranked:
            result.setdefault(order.total_cents, []).append(order)
        return result

    def _load_open_cents(self, orders: list[Order]) -> None:
        """Compute the open amounts of orders not known yet, with one query."""
        missing = {order.pk: order for order in orders if order.pk not in self._open_cents}
        if not missing:
            return
        paid = dict(
            Payment.objects.filter(order_id__in=missing, state=PaymentState.CONFIRMED)
            .values("order_id")
            .annotate(total=Sum("amount_cents"))
            .values_list("order_id", "total")
        )
        for pk, order in missing.items():
            self._open_cents[pk] = order.total_cents - (paid.get(pk) or 0)

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
