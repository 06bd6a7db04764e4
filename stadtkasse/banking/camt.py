"""Stream-parse ISO 20022 bank-to-customer messages: camt.052, camt.053 and camt.054.

The reader hands out one entry (Ntry) at a time from lxml's iterparse and then drops the
entry from the tree, so memory stays flat however long the file is. Versions 02 to 08 of
the three messages are read; the elements that moved between versions (status, parties,
amounts, charges) are read from every place they can be.

Security: the parser resolves no entities, loads no DTD, opens no network connection and
refuses huge text nodes. A file whose prolog declares a DOCTYPE or an ENTITY is rejected
before parsing starts, because bank statements never contain one.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from lxml import etree as ET

from stadtkasse.banking.errors import BankingError

CHUNK_SIZE = 64 * 1024
# The prolog (XML declaration, comments) must end within this many bytes.
MAX_PROLOG_BYTES = 64 * 1024
NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(0[2-8])$")
# The element under Document and the element of one statement, per message type.
MESSAGE_ELEMENTS = {
    "052": ("BkToCstmrAcctRpt", "Rpt"),
    "053": ("BkToCstmrStmt", "Stmt"),
    "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
NOT_PROVIDED = "NOTPROVIDED"


@dataclass
class StatementHeader:
    """The identity and period of one statement, report or notification."""

    statement_id: str
    account_iban: str
    sequence_number: str = ""
    created_at: str = ""
    period_from: date | None = None
    period_to: date | None = None


@dataclass
class ParsedTransaction:
    """One transaction of an entry, with the entry's fields it needs for matching."""

    direction: str
    amount_cents: int
    currency: str
    booking_date: date | None
    value_date: date | None
    status: str
    is_reversal: bool
    entry_reference: str
    entry_amount_cents: int
    entry_transaction_count: int
    position: int
    # Index of the transaction within its entry, 0 for an entry without details.
    detail_index: int = 0
    charges_cents: int = 0
    bank_reference: str = ""
    end_to_end_id: str = ""
    mandate_id: str = ""
    domain_code: str = ""
    family_code: str = ""
    subfamily_code: str = ""
    proprietary_code: str = ""
    remittance_lines: list[str] = field(default_factory=list)
    structured_references: list[str] = field(default_factory=list)
    counterparty_name: str = ""
    counterparty_iban: str = ""
    return_reason: str = ""

    @property
    def bank_transaction_code(self) -> str:
        iso = "/".join(c for c in (self.domain_code, self.family_code, self.subfamily_code) if c)
        return iso or self.proprietary_code

    @property
    def remittance(self) -> str:
        return "\n".join(self.remittance_lines)

    def dedupe_key(self, account_iban: str) -> str:
        """Return a key that is the same for this booking in every file of the account.

        The bank's reference identifies a booking best; without one the EndToEndId does,
        and without both a hash of the content with the position in the statement. The
        index within the entry keeps apart transactions of one batch that share a
        reference.
        """
        if self.bank_reference:
            reference = f"tx:{self.bank_reference}"
        elif self.end_to_end_id:
            reference = f"e2e:{self.end_to_end_id}#{self.detail_index}"
        elif self.entry_reference:
            reference = f"ntry:{self.entry_reference}#{self.detail_index}"
        else:
            content = "|".join(
                [
                    self.remittance,
                    self.counterparty_iban,
                    self.counterparty_name,
                    self.bank_transaction_code,
                    f"{self.position}.{self.detail_index}",
                ]
            )
            reference = "content:" + hashlib.sha256(content.encode()).hexdigest()
        parts = [
            account_iban,
            reference,
            str(self.amount_cents),
            self.direction,
            self.booking_date.isoformat() if self.booking_date else "",
            "R" if self.is_reversal else "",
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


class _PrefixedStream:
    """A binary stream that first returns bytes already read from another stream."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.stream.read(size if size and size > 0 else CHUNK_SIZE)


class CamtReader:
    """Read the entries of a camt file one by one.

    Iterating yields ``(header, transactions)`` per entry; ``header`` is the same object
    for all entries of one statement. ``message_type`` and ``version`` are known after
    the first entry, or after ``read_all_headers`` for files without entries.
    """

    def __init__(self, stream: BinaryIO, file_name: str):
        self.stream = stream
        self.file_name = file_name
        self.message_type = ""
        self.version = ""
        self.message_id = ""
        self.statements: list[StatementHeader] = []
        self._ns = ""
        self._paths: dict[str, str] = {}

    def __iter__(self) -> Iterator[tuple[StatementHeader, list[ParsedTransaction]]]:
        statement_tag = group_header_tag = ""
        statement = None
        header: StatementHeader | None = None
        position = 0
        for event, element in self._events():
            if event == "start":
                if not self._ns:
                    statement_tag, group_header_tag = self._read_root(element)
                elif element.tag == statement_tag:
                    statement, header, position = element, None, 0
                continue

            tag = element.tag
            if tag == self._entry_tag:
                if header is None:
                    header = self._read_header(statement)
                position += 1
                transactions = self._read_entry(element, position)
                # Drop the entry: the statement element would otherwise keep every one.
                element.clear()
                statement.remove(element)
                yield header, transactions
            elif tag == statement_tag:
                if header is None:
                    self._read_header(statement)
                statement.clear()
                statement = None
                header = None
            elif tag == group_header_tag:
                self.message_id = self._text(element, "MsgId")
                element.clear()
        if not self._ns:
            raise BankingError("empty_file", file=self.file_name)

    # -- reading the stream -------------------------------------------------------------

    def _events(self) -> Iterator[tuple[str, ET._Element]]:
        head = self.stream.read(CHUNK_SIZE)
        if not head.strip():
            raise BankingError("empty_file", file=self.file_name)
        self._check_prolog(head)
        events = ET.iterparse(
            _PrefixedStream(head, self.stream),
            events=("start", "end"),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            yield from events
        except ET.XMLSyntaxError as error:
            line, column = error.position
            if not self._ns and line <= 1:
                raise BankingError("not_xml", file=self.file_name) from error
            raise BankingError(
                "broken_xml", file=self.file_name, line=line, column=column
            ) from error

    def _check_prolog(self, head: bytes) -> None:
        """Reject encodings other than UTF-8 and any document type declaration."""
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:200]:
            raise BankingError("not_utf8", file=self.file_name)
        root = re.search(rb"<[A-Za-z_]", head)
        prolog = head[: root.start()] if root else head
        if root is None and len(head) >= MAX_PROLOG_BYTES:
            raise BankingError("not_xml", file=self.file_name)
        if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise BankingError("doctype", file=self.file_name)
        declaration = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", prolog)
        if declaration and declaration.group(1).lower() not in (b"utf-8", b"utf8"):
            raise BankingError("not_utf8", file=self.file_name)

    def _read_root(self, element: ET._Element) -> tuple[str, str]:
        namespace, _, local = element.tag[1:].partition("}")
        match = NAMESPACE.match(namespace) if element.tag.startswith("{") else None
        if local != "Document" or match is None:
            raise BankingError(
                "wrong_namespace", file=self.file_name, namespace=namespace or element.tag
            )
        self._ns = namespace
        self.message_type, self.version = match.group(1), match.group(2)
        _container, statement = MESSAGE_ELEMENTS[self.message_type]
        self._entry_tag = self._q("Ntry")
        return self._q(statement), self._q("GrpHdr")

    # -- element helpers ----------------------------------------------------------------

    def _q(self, path: str) -> str:
        """Qualify a slash-separated path with the message namespace, cached."""
        qualified = self._paths.get(path)
        if qualified is None:
            qualified = "/".join(f"{{{self._ns}}}{part}" for part in path.split("/"))
            self._paths[path] = qualified
        return qualified

    def _text(self, element: ET._Element | None, path: str) -> str:
        if element is None:
            return ""
        found = element.find(self._q(path))
        if found is None or found.text is None:
            return ""
        return found.text.strip()

    def _first_text(self, element: ET._Element, *paths: str) -> str:
        for path in paths:
            text = self._text(element, path)
            if text:
                return text
        return ""

    def _amount(self, element: ET._Element, *paths: str) -> tuple[int, str] | None:
        """Return (cents, currency) of the first amount element found, or None."""
        for path in paths:
            found = element.find(self._q(path))
            if found is not None and found.text:
                return self._cents(found.text), found.get("Ccy", "")
        return None

    def _cents(self, text: str) -> int:
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise BankingError("invalid_amount", file=self.file_name, value=text) from None
        cents = value * 100
        if cents != cents.to_integral_value() or value < 0:
            raise BankingError("invalid_amount", file=self.file_name, value=text)
        return int(cents)

    def _date(self, element: ET._Element, path: str) -> date | None:
        text = self._first_text(element, f"{path}/Dt", f"{path}/DtTm")
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise BankingError("invalid_date", file=self.file_name, value=text) from None

    # -- statement and entry ------------------------------------------------------------

    def _read_header(self, statement: ET._Element) -> StatementHeader:
        header = StatementHeader(
            statement_id=self._text(statement, "Id"),
            account_iban=self._first_text(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id"),
            sequence_number=self._text(statement, "ElctrncSeqNb"),
            created_at=self._text(statement, "CreDtTm"),
            period_from=self._date_or_none(self._text(statement, "FrToDt/FrDtTm")),
            period_to=self._date_or_none(self._text(statement, "FrToDt/ToDtTm")),
        )
        if not header.statement_id:
            raise BankingError("missing_element", file=self.file_name, element="Id")
        if not header.account_iban:
            raise BankingError("missing_element", file=self.file_name, element="Acct/Id")
        self.statements.append(header)
        return header

    def _date_or_none(self, text: str) -> date | None:
        try:
            return date.fromisoformat(text[:10]) if text else None
        except ValueError:
            return None

    def _read_entry(self, entry: ET._Element, position: int) -> list[ParsedTransaction]:
        amount = self._amount(entry, "Amt")
        if amount is None:
            raise BankingError("missing_element", file=self.file_name, element="Ntry/Amt")
        entry_cents, currency = amount
        direction = self._text(entry, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            raise BankingError("missing_element", file=self.file_name, element="Ntry/CdtDbtInd")
        details = [
            transaction
            for entry_details in entry.findall(self._q("NtryDtls"))
            for transaction in entry_details.findall(self._q("TxDtls"))
        ]
        common = {
            "direction": direction,
            "currency": currency,
            "booking_date": self._date(entry, "BookgDt"),
            "value_date": self._date(entry, "ValDt"),
            "status": self._first_text(entry, "Sts/Cd", "Sts") or "BOOK",
            "is_reversal": self._text(entry, "RvslInd").lower() in ("true", "1"),
            "entry_reference": self._text(entry, "AcctSvcrRef"),
            "entry_amount_cents": entry_cents,
            "entry_transaction_count": max(len(details), 1),
        }
        entry_codes = self._codes(entry)

        if not details:
            transaction = ParsedTransaction(
                amount_cents=entry_cents,
                position=position,
                charges_cents=self._charges(entry),
                **common,
                **entry_codes,
            )
            return [transaction]

        transactions = []
        for index, detail in enumerate(details):
            single = len(details) == 1
            amount = self._amount(detail, "Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt") or (
                entry_cents,
                currency,
            )
            transaction = ParsedTransaction(
                amount_cents=amount[0],
                position=position,
                detail_index=index,
                charges_cents=self._charges(detail) or (self._charges(entry) if single else 0),
                **common,
                **(
                    self._codes(detail)
                    if detail.find(self._q("BkTxCd")) is not None
                    else entry_codes
                ),
            )
            self._read_detail(detail, transaction)
            transactions.append(transaction)
        return transactions

    def _codes(self, element: ET._Element) -> dict[str, str]:
        return {
            "domain_code": self._text(element, "BkTxCd/Domn/Cd"),
            "family_code": self._text(element, "BkTxCd/Domn/Fmly/Cd"),
            "subfamily_code": self._text(element, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            "proprietary_code": self._text(element, "BkTxCd/Prtry/Cd"),
        }

    def _charges(self, element: ET._Element) -> int:
        """Sum the charges of an entry or transaction, in every version's layout."""
        total = 0
        for charges in element.findall(self._q("Chrgs")):
            overall = self._amount(charges, "TtlChrgsAndTaxAmt")
            if overall is not None:
                total += overall[0]
                continue
            records = charges.findall(self._q("Rcrd"))
            if records:
                total += sum((self._amount(record, "Amt") or (0, ""))[0] for record in records)
            else:
                total += (self._amount(charges, "Amt") or (0, ""))[0]
        return total

    def _read_detail(self, detail: ET._Element, transaction: ParsedTransaction) -> None:
        transaction.bank_reference = self._text(detail, "Refs/AcctSvcrRef")
        end_to_end = self._text(detail, "Refs/EndToEndId")
        transaction.end_to_end_id = "" if end_to_end.upper() == NOT_PROVIDED else end_to_end
        transaction.mandate_id = self._text(detail, "Refs/MndtId")
        transaction.remittance_lines = [
            (line.text or "").strip() for line in detail.findall(self._q("RmtInf/Ustrd"))
        ]
        transaction.structured_references = [
            (ref.text or "").strip()
            for ref in detail.findall(self._q("RmtInf/Strd/CdtrRefInf/Ref"))
            if ref.text
        ]
        transaction.return_reason = self._first_text(detail, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")

        # The counterparty of a credit or a returned debit is the debtor; of another
        # debit the creditor. Version 08 wraps the party in Pty.
        party_order = ("Dbtr", "UltmtDbtr", "Cdtr")
        if transaction.direction == "DBIT" and not transaction.return_reason:
            party_order = ("Cdtr", "UltmtCdtr", "Dbtr")
        for party in party_order:
            name = self._first_text(detail, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm")
            if name:
                transaction.counterparty_name = name
                break
        account = "CdtrAcct" if party_order[0] == "Cdtr" else "DbtrAcct"
        transaction.counterparty_iban = self._text(detail, f"RltdPties/{account}/Id/IBAN")
