"""Import bank statement files and clear the lines that matched no order.

One file is one database transaction: a file that turns out broken, even at its last
byte, leaves nothing behind. A statement already imported (same account, statement ID,
sequence number and creation time) is skipped whole; a single booking already imported
from another file (a camt.054 before the camt.053) is skipped by its key.
"""

import hashlib
import io
import logging
import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stadtkasse.banking.camt import CamtReader, ParsedTransaction, StatementHeader
from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.matching import Matcher, StoredLine, debit_pending, search_references
from stadtkasse.banking.models import (
    OPEN_STATES,
    BankImport,
    BankStatement,
    BankTransaction,
    Direction,
    MatchState,
    TransactionKind,
)
from stadtkasse.banking.readahead import (
    ChildReading,
    can_read_in_child,
    read_ahead,
    read_in_child,
)
from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.collection import cycle_collection_paused
from stadtkasse.core.constraints import checked_immediately
from stadtkasse.core.services import audit
from stadtkasse.orders.models import Order
from stadtkasse.payments import bulk

logger = logging.getLogger(__name__)

# Transactions stored and matched together. Larger batches send fewer queries per line.
# On PostgreSQL the order lookups of a batch scan the whole payments table (seen in the
# plans of bench/camt_import.py, which starts with no payments), so they also mean
# fewer scans. The import of that benchmark's 100,000 lines peaked at 119 MB of memory
# with 5,000 and at 78 MB with 1,000.
BATCH_SIZE = 5000
# Entries the parsing thread hands over at once. It may read one batch ahead, so that it
# parses the next batch while the current one is written.
READ_AHEAD_CHUNK = 1000
# Files from this size on are parsed in a child process, where this process has no
# other threads (see readahead.can_read_in_child). For a small file the start of the child
# costs more than it saves.
CHILD_MIN_BYTES = 4 * 1024 * 1024
# The databases for which a child process parses; None means all. PostgreSQL keeps the
# parsing thread, because unpickling the child's entries adds to the importing thread's
# work. With the child, its 100,000-line import took 17.9 instead of 17.4 s.
CHILD_VENDORS: tuple[str, ...] | None = ("sqlite",)
BOOKED = "BOOK"
# ISO bank transaction codes of direct debits: collected by us (IDDT) or a return.
DIRECT_DEBIT_FAMILIES = ("IDDT",)
RETURN_SUBFAMILIES = ("UPDD", "RDDT")
# The columns that the import writes. The others stay NULL (reversed_by, resolved_by and
# resolved_at).
TRANSACTION_FIELDS = (
    "statement_id",
    "account_iban",
    "dedupe_key",
    "direction",
    "kind",
    "amount_cents",
    "currency",
    "booking_date",
    "value_date",
    "entry_reference",
    "entry_amount_cents",
    "entry_transaction_count",
    "charges_cents",
    "bank_reference",
    "end_to_end_id",
    "mandate_id",
    "bank_transaction_code",
    "remittance",
    "structured_reference",
    "counterparty_name",
    "counterparty_iban",
    "return_reason",
    "is_reversal",
    "state",
    "note",
    "candidates",
)


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
        with cycle_collection_paused(), transaction.atomic(), checked_immediately():
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
        # Statement per header number; None where the statement was imported before.
        self.statements: dict[int, BankStatement | None] = {}

    def run(self) -> ImportResult:
        batch: list[tuple[BankStatement, _Reading]] = []
        with self._entries() as entries:
            for header, readings in entries:
                statement = self._statement(header)
                if statement is None:
                    self.result.duplicates += len(readings)
                    continue
                batch.extend((statement, reading) for reading in readings)
                if len(batch) >= BATCH_SIZE:
                    self._store(batch)
                    batch = []
            summary = entries.summary if isinstance(entries, ChildReading) else self._summary()
        self._store(batch)
        # Statements without entries are recorded too.
        for header in summary.statements:
            self._statement(header)

        self.result.message_type = f"camt.{summary.message_type}.001.{summary.version}"
        bank_import = self.result.bank_import
        if bank_import is not None:
            self._finish(bank_import, summary)
        return self.result

    def _entries(self):
        """Return a context that yields the entries of the file, each read by ``_read``.

        On PostgreSQL a second thread parses and reads the next entries while this one
        waits for the database server. SQLite works inside this process and releases the
        interpreter lock for every row, so two threads would take turns very often: the
        import of 100,000 lines took 19.3 s with the second thread and 15.8 s without it.
        So on SQLite a large file is parsed in a child process, on the other core (11.0
        instead of 17.4 s). Where no child may be forked, this thread parses.
        """
        entries = map(self._read, self.reader)
        chunks = BATCH_SIZE // READ_AHEAD_CHUNK + 1
        if self._read_in_child():
            return read_in_child(entries, self._summary, chunk=READ_AHEAD_CHUNK, chunks=chunks)
        if connection.vendor != "postgresql":
            return nullcontext(entries)
        return read_ahead(entries, chunk=READ_AHEAD_CHUNK, chunks=chunks)

    def _read_in_child(self) -> bool:
        if CHILD_VENDORS is not None and connection.vendor not in CHILD_VENDORS:
            return False
        size = _stream_size(self.hashing.stream)
        return size is not None and size >= CHILD_MIN_BYTES and can_read_in_child()

    def _summary(self) -> "_Summary":
        """Return what reading the file found besides its entries, once all are read."""
        reader = self.reader
        return _Summary(
            message_type=reader.message_type,
            version=reader.version,
            message_id=reader.message_id,
            statements=reader.statements,
            sha256=self.hashing.hash.hexdigest(),
        )

    def _read(
        self, entry: tuple[StatementHeader, list[ParsedTransaction]]
    ) -> tuple[StatementHeader, list["_Reading"]]:
        """Prepare the transactions of an entry as far as the file alone allows.

        It runs in the parsing thread, so it must not use the database or anything that
        depends on the thread, such as the active language.
        """
        header, transactions = entry
        readings = []
        for parsed in transactions:
            if parsed.status != BOOKED:
                readings.append(_Reading(parsed))
                continue
            line = _new_line(header.account_iban, parsed, parsed.dedupe_key(header.account_iban))
            if line.kind in (TransactionKind.TRANSFER, TransactionKind.COLLECTION):
                line.search = search_references(parsed, self.matcher.scheme)
            readings.append(_Reading(parsed, line))
        return header, readings

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
        key = header.number
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

    def _store(self, batch: list[tuple[BankStatement, "_Reading"]]) -> None:
        """Store the new transactions of a batch and match them."""
        lines = self._new_lines(batch)
        if not lines:
            return

        # Lines that the bulk confirmation will match are stored as matched. The outcome
        # of the others is written after matching, where it changed.
        matching = self.matcher.prepare(lines)
        stored = [(line.state, line.note) for line, _parsed in lines]
        values = bulk.DbValues()
        no_candidates = values.json([])
        ids = bulk.insert_rows(
            BankTransaction,
            TRANSACTION_FIELDS,
            [_row_values(line, parsed, values, no_candidates) for line, parsed in lines],
            return_ids=True,
        )
        for (line, _parsed), pk in zip(lines, ids, strict=True):
            line.pk = pk
        self.matcher.complete(matching)
        _save_outcomes(
            [
                line
                for (line, _parsed), outcome in zip(lines, stored, strict=True)
                if (line.state, line.note) != outcome or line.candidates
            ]
        )

        for line, _parsed in lines:
            self.result.entries += 1
            self.result.counts[line.state] = self.result.counts.get(line.state, 0) + 1

    def _new_lines(
        self, batch: list[tuple[BankStatement, "_Reading"]]
    ) -> list[tuple[StoredLine, ParsedTransaction]]:
        """Return the lines to store: booked and not imported before.

        The rows of earlier batches are in the database by now, so the query for
        existing keys finds a booking repeated anywhere in the file.
        """
        booked = []
        for statement, reading in batch:
            if reading.line is None:
                self.result.not_booked += 1
                continue
            booked.append((statement, reading))
        existing = set(
            BankTransaction.objects.filter(
                account_iban__in={statement.account_iban for statement, _r in booked},
                dedupe_key__any_of=[reading.line.dedupe_key for _s, reading in booked],
            ).values_list("account_iban", "dedupe_key")
        )

        seen = set()
        lines = []
        for statement, reading in booked:
            line = reading.line
            key = line.dedupe_key
            if (statement.account_iban, key) in existing or key in seen:
                self.result.duplicates += 1
                continue
            seen.add(key)
            line.statement_id = statement.pk
            line.note = _foreign_currency_note(reading.parsed)
            lines.append((line, reading.parsed))
        return lines

    def _finish(self, bank_import: BankImport, summary: "_Summary") -> None:
        result = self.result
        bank_import.sha256 = summary.sha256
        bank_import.message_type = summary.message_type
        bank_import.message_version = summary.version
        bank_import.message_id = summary.message_id[:35]
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


@dataclass(frozen=True)
class _Summary:
    """The facts of a file besides its entries: message, statements and checksum."""

    message_type: str
    version: str
    message_id: str
    statements: list[StatementHeader]
    sha256: str


def _stream_size(stream) -> int | None:
    """Return the size of a file or an uploaded file, or None where it is not known."""
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return getattr(stream, "size", None)


@dataclass(slots=True)
class _Reading:
    """A transaction of the file, with its line to store unless it is not booked."""

    parsed: ParsedTransaction
    line: StoredLine | None = None


def _new_line(account_iban: str, parsed: ParsedTransaction, key: str) -> StoredLine:
    """Return the line to store for a parsed transaction, cut to the column sizes.

    Its statement and note are left for the caller: the statement is not stored yet, and
    the note is in the language of the user.
    """
    kind = _kind(parsed)
    return StoredLine(
        pk=0,
        statement_id=0,
        dedupe_key=key,
        kind=kind,
        direction=parsed.direction,
        account_iban=account_iban,
        amount_cents=parsed.amount_cents,
        charges_cents=parsed.charges_cents,
        entry_reference=parsed.entry_reference[:100],
        bank_reference=parsed.bank_reference[:100],
        end_to_end_id=parsed.end_to_end_id[:35],
        remittance=parsed.remittance,
        counterparty_name=parsed.counterparty_name[:140],
        counterparty_iban=parsed.counterparty_iban[:34],
        return_reason=parsed.return_reason[:8],
        state=MatchState.IGNORED if kind == TransactionKind.OTHER_DEBIT else MatchState.UNMATCHED,
    )


def _row_values(
    line: StoredLine, parsed: ParsedTransaction, values: bulk.DbValues, no_candidates
) -> tuple:
    """Return the values of TRANSACTION_FIELDS for a line that has no candidates yet."""
    return (
        line.statement_id,
        line.account_iban,
        line.dedupe_key,
        line.direction,
        line.kind,
        line.amount_cents,
        parsed.currency or "EUR",
        values.date(parsed.booking_date),
        values.date(parsed.value_date),
        line.entry_reference,
        parsed.entry_amount_cents,
        parsed.entry_transaction_count,
        line.charges_cents,
        line.bank_reference,
        line.end_to_end_id,
        parsed.mandate_id[:35],
        parsed.bank_transaction_code[:40],
        line.remittance,
        (parsed.structured_references or [""])[0][:35],
        line.counterparty_name,
        line.counterparty_iban,
        line.return_reason,
        parsed.is_reversal,
        line.state,
        line.note,
        no_candidates,
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


def _save_outcomes(rows: list[StoredLine]) -> None:
    """Write the match state, note and candidates of stored rows."""
    values = bulk.DbValues()
    table = connection.ops.quote_name(BankTransaction._meta.db_table)
    bulk.execute_many(
        f"UPDATE {table} SET state = %s, note = %s, candidates = %s WHERE id = %s",
        [(row.state, str(row.note), values.json(row.candidates), row.pk) for row in rows],
    )


def _compact(iban: str) -> str:
    return "".join(iban.split()).upper()
