"""Import bank statement files and clear the lines that matched no order.

One file is one database transaction: a file that turns out broken, even at its last
byte, leaves nothing behind. A statement already imported (same account, statement ID,
sequence number and creation time) is skipped whole; a single booking already imported
from another file (a camt.054 before the camt.053) is skipped by its key.
"""

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stadtkasse.banking.camt import CamtReader, ParsedTransaction, StatementHeader
from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.matching import Matcher, debit_pending
from stadtkasse.banking.models import (
    OPEN_STATES,
    BankImport,
    BankStatement,
    BankTransaction,
    Direction,
    MatchState,
    TransactionKind,
)
from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Row ids per UPDATE; SQLite allows 32,766 parameters per statement.
OUTCOME_CHUNK = 900
BOOKED = "BOOK"
# ISO bank transaction codes of direct debits: collected by us (IDDT) or a return.
DIRECT_DEBIT_FAMILIES = ("IDDT",)
RETURN_SUBFAMILIES = ("UPDD", "RDDT")


@dataclass
class ImportResult:
    """What the import of one file did, for the command's output and the upload page."""

    file_name: str
    bank_import: BankImport | None = None
    message_type: str = ""
    entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    not_booked: int = 0

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)


class _HashingStream:
    """Pass reads through and compute the SHA-256 of everything read."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.hash.update(data)
        return data


def import_statement_file(
    stream: BinaryIO, *, file_name: str, municipality, user=None
) -> ImportResult:
    """Import one camt file, match its credits and confirm the payments they pay.

    Raises BankingError for a file that cannot be read; then nothing is stored.
    """
    logger.info(
        "bank statement import started: file=%s user=%s", file_name, getattr(user, "pk", None)
    )
    try:
        with transaction.atomic():
            result = _Import(stream, file_name, municipality, user).run()
    except BankingError as error:
        logger.warning("bank statement import failed: file=%s %s", file_name, error.log_message)
        raise
    logger.info(
        "bank statement import done: file=%s import=%s entries=%d matched=%d partly=%d "
        "unmatched=%d ignored=%d duplicates=%d",
        file_name,
        result.bank_import.pk if result.bank_import else "-",
        result.entries,
        result.count(MatchState.MATCHED),
        result.count(MatchState.PARTLY_MATCHED),
        result.count(MatchState.UNMATCHED),
        result.count(MatchState.IGNORED),
        result.duplicates,
    )
    return result


class _Import:
    def __init__(self, stream: BinaryIO, file_name: str, municipality, user):
        self.hashing = _HashingStream(stream)
        self.reader = CamtReader(self.hashing, file_name)
        self.result = ImportResult(file_name=file_name)
        self.municipality = municipality
        self.user = user
        self.matcher = Matcher(municipality, cause=f"bank statement {file_name}", user=user)
        # Statement per header object; None where the statement was imported before.
        self.statements: dict[int, BankStatement | None] = {}
        self.seen_keys: set[str] = set()

    def run(self) -> ImportResult:
        batch: list[tuple[BankStatement, ParsedTransaction]] = []
        for header, transactions in self.reader:
            statement = self._statement(header)
            if statement is None:
                self.result.duplicates += len(transactions)
                continue
            batch.extend((statement, parsed) for parsed in transactions)
            if len(batch) >= BATCH_SIZE:
                self._store(batch)
                batch = []
        self._store(batch)
        for header in self.reader.statements:
            self._statement(header)

        self.result.message_type = f"camt.{self.reader.message_type}.001.{self.reader.version}"
        bank_import = self.result.bank_import
        if bank_import is not None:
            self._finish(bank_import)
        return self.result

    def _check_account(self, account_iban: str) -> None:
        """Reject a statement of another account than the municipality's, where it has one.

        The account is read from the municipality's SEPA settings, which are optional, so
        an installation without them imports any account.
        """
        own = getattr(getattr(self.municipality, "sepa_settings", None), "iban", "")
        if own and _compact(account_iban) != _compact(own):
            raise BankingError(
                "foreign_account",
                file=self.result.file_name,
                account=account_iban,
                expected=own,
            )

    def _statement(self, header: StatementHeader) -> BankStatement | None:
        key = id(header)
        if key in self.statements:
            return self.statements[key]
        self._check_account(header.account_iban)
        identity = {
            "account_iban": header.account_iban,
            "statement_id": header.statement_id,
            "sequence_number": header.sequence_number,
            "created_at_bank": header.created_at,
        }
        if BankStatement.objects.filter(**identity).exists():
            self.statements[key] = None
            return None
        statement = BankStatement.objects.create(
            bank_import=self._bank_import(),
            period_from=header.period_from,
            period_to=header.period_to,
            **identity,
        )
        self.statements[key] = statement
        return statement

    def _bank_import(self) -> BankImport:
        if self.result.bank_import is None:
            self.result.bank_import = BankImport.objects.create(
                municipality=self.municipality,
                file_name=self.result.file_name[:255],
                message_type=self.reader.message_type,
                message_version=self.reader.version,
                message_id=self.reader.message_id[:35],
                imported_by=self.user if getattr(self.user, "is_authenticated", False) else None,
            )
        return self.result.bank_import

    def _store(self, batch: list[tuple[BankStatement, ParsedTransaction]]) -> None:
        """Store the new transactions of a batch and match them."""
        if not batch:
            return
        keyed = []
        for statement, parsed in batch:
            if parsed.status != BOOKED:
                self.result.not_booked += 1
                continue
            keyed.append((statement, parsed, parsed.dedupe_key(statement.account_iban)))
        existing = set(
            BankTransaction.objects.filter(
                account_iban__in={statement.account_iban for statement, _p, _k in keyed},
                dedupe_key__in=[key for _s, _p, key in keyed],
            ).values_list("account_iban", "dedupe_key")
        )

        rows = []
        for statement, parsed, key in keyed:
            if (statement.account_iban, key) in existing or key in self.seen_keys:
                self.result.duplicates += 1
                continue
            self.seen_keys.add(key)
            rows.append((_new_row(statement, parsed, key), parsed))
        if not rows:
            return
        BankTransaction.objects.bulk_create([row for row, _parsed in rows])

        self.matcher.match_batch(rows)
        _save_outcomes([row for row, _parsed in rows])
        for row, _parsed in rows:
            self.result.entries += 1
            self.result.counts[row.state] = self.result.counts.get(row.state, 0) + 1

    def _finish(self, bank_import: BankImport) -> None:
        result = self.result
        bank_import.sha256 = self.hashing.hash.hexdigest()
        bank_import.message_type = self.reader.message_type
        bank_import.message_version = self.reader.version
        bank_import.message_id = self.reader.message_id[:35]
        bank_import.entry_count = result.entries
        bank_import.matched_count = result.count(MatchState.MATCHED)
        bank_import.partly_matched_count = result.count(MatchState.PARTLY_MATCHED)
        bank_import.unmatched_count = result.count(MatchState.UNMATCHED)
        bank_import.ignored_count = result.count(MatchState.IGNORED)
        bank_import.duplicate_count = result.duplicates
        bank_import.save()
        for statement in self.statements.values():
            if statement is not None:
                statement.entry_count = statement.transactions.count()
                statement.save(update_fields=["entry_count"])
        audit(
            "bank_statement.imported",
            bank_import,
            municipality=self.municipality,
            user=self.user,
            data={"file": bank_import.file_name, "entries": result.entries},
        )


def _new_row(statement: BankStatement, parsed: ParsedTransaction, key: str) -> BankTransaction:
    kind = _kind(parsed)
    return BankTransaction(
        statement=statement,
        account_iban=statement.account_iban,
        dedupe_key=key,
        direction=parsed.direction,
        kind=kind,
        amount_cents=parsed.amount_cents,
        currency=parsed.currency or "EUR",
        booking_date=parsed.booking_date,
        value_date=parsed.value_date,
        entry_reference=parsed.entry_reference[:100],
        entry_amount_cents=parsed.entry_amount_cents,
        entry_transaction_count=parsed.entry_transaction_count,
        charges_cents=parsed.charges_cents,
        bank_reference=parsed.bank_reference[:100],
        end_to_end_id=parsed.end_to_end_id[:35],
        mandate_id=parsed.mandate_id[:35],
        bank_transaction_code=parsed.bank_transaction_code[:40],
        remittance=parsed.remittance,
        structured_reference=(parsed.structured_references or [""])[0][:35],
        counterparty_name=parsed.counterparty_name[:140],
        counterparty_iban=parsed.counterparty_iban[:34],
        return_reason=parsed.return_reason[:8],
        is_reversal=parsed.is_reversal,
        state=MatchState.IGNORED if kind == TransactionKind.OTHER_DEBIT else MatchState.UNMATCHED,
        note=_foreign_currency_note(parsed),
    )


def _kind(parsed: ParsedTransaction) -> str:
    if parsed.currency and parsed.currency != "EUR":
        return TransactionKind.OTHER_DEBIT
    if parsed.is_reversal:
        return TransactionKind.REVERSAL
    if parsed.direction == Direction.DEBIT:
        if parsed.return_reason or parsed.subfamily_code in RETURN_SUBFAMILIES:
            return TransactionKind.RETURN
        return TransactionKind.OTHER_DEBIT
    if parsed.family_code in DIRECT_DEBIT_FAMILIES:
        return TransactionKind.COLLECTION
    return TransactionKind.TRANSFER


def _foreign_currency_note(parsed: ParsedTransaction) -> str:
    if parsed.currency and parsed.currency != "EUR":
        return _("Not in euros (%(currency)s); Stadtkasse books only euros.") % {
            "currency": parsed.currency
        }
    return ""


# -- clearing lines by hand ---------------------------------------------------------------


def find_order(municipality, text: str) -> Order:
    """Find an order of the municipality by its code or its Kassenzeichen."""
    value = text.strip()
    order = Order.objects.filter(municipality=municipality, code__iexact=value).first()
    if order is None:
        order = Order.objects.filter(
            municipality=municipality, kassenzeichen=kz.normalize(value)
        ).first()
    if order is None:
        raise BankingError("order_not_found", value=value)
    return order


def assign_transaction(row: BankTransaction, order_texts: list[str], *, user) -> BankTransaction:
    """Book an unmatched credit to one or more orders, given by code or Kassenzeichen.

    The amount goes to the orders in the given order, each up to its open amount; the
    last order gets what remains, so a difference shows up there as a partial payment or
    an overpayment for clarification.
    """
    texts = [text for text in order_texts if text.strip()]
    if not texts:
        raise BankingError("no_order_given")
    municipality = row.statement.bank_import.municipality
    orders = [find_order(municipality, text) for text in texts]
    for order in orders:
        if debit_pending(order):
            raise BankingError("debit_pending", code=order.code)

    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        _require_open(row)
        if row.direction != Direction.CREDIT or row.allocations.exists():
            raise BankingError("not_a_credit")

        matcher = Matcher(municipality, cause=f"bank line {row.pk} assigned by hand", user=user)
        # The state follows from the confirmations below, as on import.
        row.state = MatchState.UNMATCHED
        remaining = row.amount_cents
        for index, order in enumerate(orders):
            last = index == len(orders) - 1
            amount = remaining if last else min(max(matcher.open_cents(order), 0), remaining)
            if amount <= 0 and not last:
                continue
            matcher.confirm(row, order, amount)
            remaining -= amount
        row.resolved_by = user
        row.resolved_at = timezone.now()
        row.save(update_fields=["state", "note", "resolved_by", "resolved_at"])
        audit(
            "bank_transaction.assigned",
            row,
            municipality=municipality,
            user=user,
            data={"orders": [order.code for order in orders]},
        )
    logger.info("bank line %s assigned to %d order(s) by user %s", row.pk, len(orders), user.pk)
    return row


def mark_done(row: BankTransaction, *, note: str, user) -> BankTransaction:
    """Take a line off the clarification list with a note that says why."""
    if not note.strip():
        raise BankingError("missing_note")
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        _require_open(row)
        row.state = MatchState.RESOLVED
        row.note = note.strip()
        row.resolved_by = user
        row.resolved_at = timezone.now()
        row.save(update_fields=["state", "note", "resolved_by", "resolved_at"])
        audit(
            "bank_transaction.resolved",
            row,
            municipality=row.statement.bank_import.municipality,
            user=user,
        )
    logger.info("bank line %s marked as done by user %s", row.pk, user.pk)
    return row


def _require_open(row: BankTransaction) -> None:
    if row.state not in OPEN_STATES:
        raise BankingError("not_open", state=row.get_state_display())


def _save_outcomes(rows: list[BankTransaction]) -> None:
    """Write the match state, note and candidates of stored rows, one UPDATE per outcome.

    Most lines of a file end alike (matched, no note), so grouping them is far cheaper
    than bulk_update, which sends one CASE branch per row.
    """
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        key = (row.state, str(row.note), json.dumps(row.candidates, sort_keys=True))
        groups[key].append(row.pk)
    for (state, note, candidates), pks in groups.items():
        for start in range(0, len(pks), OUTCOME_CHUNK):
            BankTransaction.objects.filter(pk__in=pks[start : start + OUTCOME_CHUNK]).update(
                state=state, note=note, candidates=json.loads(candidates)
            )


def _compact(iban: str) -> str:
    return "".join(iban.split()).upper()
