"""Stream-parse ISO 20022 bank-to-customer messages: camt.052, camt.053 and camt.054.

The reader hands out one entry (Ntry) at a time from lxml's iterparse and then drops the
entry from the tree, so memory stays flat however long the file is. Versions 02 to 08 of
the three messages are read; the elements that moved between versions (status, parties,
amounts, charges) are read from every place they can be.

An entry is read from an index of its elements by path, built in one walk over the
entry. A ``find()`` per field would cost lxml several microseconds each, which is most
of the parsing time of a large file.

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
# The elements that iterparse reports. The others are built into the tree without an event.
EVENT_TAGS = ("{*}Document", "{*}GrpHdr", "{*}Ntry", "{*}Stmt", "{*}Rpt", "{*}Ntfctn")
DETAIL_PATH = "NtryDtls/TxDtls"
_CODE_PATHS = (
    "BkTxCd/Domn/Cd",
    "BkTxCd/Domn/Fmly/Cd",
    "BkTxCd/Domn/Fmly/SubFmlyCd",
    "BkTxCd/Prtry/Cd",
)
# The paths read from an entry and from a transaction detail (TxDtls). The reader indexes
# only these elements, so a path read must be listed here. The content of the elements
# at the end of a path (Chrgs, TxDtls) is not indexed.
ENTRY_PATHS = (
    "Amt",
    "CdtDbtInd",
    "RvslInd",
    "Sts/Cd",
    "BookgDt/Dt",
    "BookgDt/DtTm",
    "ValDt/Dt",
    "ValDt/DtTm",
    "AcctSvcrRef",
    *_CODE_PATHS,
    "Chrgs",
    DETAIL_PATH,
)
DETAIL_PATHS = (
    "Amt",
    "AmtDtls/TxAmt/Amt",
    "AmtDtls/InstdAmt/Amt",
    "Chrgs",
    *_CODE_PATHS,
    "Refs/AcctSvcrRef",
    "Refs/EndToEndId",
    "Refs/MndtId",
    "RmtInf/Ustrd",
    "RmtInf/Strd/CdtrRefInf/Ref",
    "RtrInf/Rsn/Cd",
    "RtrInf/Rsn/Prtry",
    *(
        f"RltdPties/{party}/{name}"
        for party in ("Dbtr", "UltmtDbtr", "Cdtr", "UltmtCdtr")
        for name in ("Nm", "Pty/Nm")
    ),
    "RltdPties/DbtrAcct/Id/IBAN",
    "RltdPties/CdtrAcct/Id/IBAN",
)

# Elements by their path of local names below the indexed element, in document order.
_Index = dict[str, list[ET._Element]]
# Qualified tag -> (path, the same for its children or None where they are not indexed).
_Trie = dict[str, tuple[str, "_Trie | None"]]


@dataclass
class StatementHeader:
    """The identity and period of one statement, report or notification."""

    statement_id: str
    account_iban: str
    # Position of the statement in the file, from 0. It identifies the statement where a
    # header was copied, as when it comes from the parsing process.
    number: int = 0
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
        self._prefix = ""
        self._paths: dict[str, str] = {}

    def __iter__(self) -> Iterator[tuple[StatementHeader, list[ParsedTransaction]]]:
        statement_tag = group_header_tag = ""
        statement = None
        header: StatementHeader | None = None
        position = 0
        for event, element in self._events():
            if not self._ns:
                # The first event is the root's start, unless the root is no Document.
                root = element.getroottree().getroot()
                statement_tag, group_header_tag = self._read_root(root)
            tag = element.tag
            if event == "start":
                if tag == statement_tag:
                    statement, header, position = element, None, 0
                continue

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
        self._check_root(head)
        events = ET.iterparse(
            _PrefixedStream(head, self.stream),
            events=("start", "end"),
            tag=EVENT_TAGS,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            yield from events
            if not self._ns and events.root is not None:
                # A document without any element of EVENT_TAGS gave no event to check.
                self._read_root(events.root)
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

    def _check_root(self, head: bytes) -> None:
        """Reject a file whose root element is no camt Document, before the main parse.

        The main parse reports only the elements of EVENT_TAGS, so a file with another
        root would be parsed whole before the first check. A syntax error in the head is
        left to the main parse, which reports it with its position.
        """
        parser = ET.XMLPullParser(
            events=("start",),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        try:
            parser.feed(head)
        except ET.XMLSyntaxError:
            pass
        for _event, root in parser.read_events():
            self._match_root(root)
            return

    def _match_root(self, element: ET._Element) -> re.Match:
        name = ET.QName(element)
        match = NAMESPACE.match(name.namespace or "")
        if name.localname != "Document" or match is None:
            raise BankingError(
                "wrong_namespace", file=self.file_name, namespace=name.namespace or name.localname
            )
        return match

    def _read_root(self, element: ET._Element) -> tuple[str, str]:
        match = self._match_root(element)
        self._ns = match.group(0)
        self._prefix = f"{{{self._ns}}}"
        self.message_type, self.version = match.group(1), match.group(2)
        _container, statement = MESSAGE_ELEMENTS[self.message_type]
        self._entry_tag = self._q("Ntry")
        self._entry_trie = self._trie(ENTRY_PATHS)
        self._detail_trie = self._trie(DETAIL_PATHS)
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

    def _trie(self, paths: tuple[str, ...]) -> _Trie:
        """Build the lookup of qualified tags that ``_index`` walks, for the given paths."""
        trie: _Trie = {}
        for path in paths:
            level = trie
            parts = path.split("/")
            for depth, part in enumerate(parts, start=1):
                tag = f"{self._prefix}{part}"
                node_path, children = level.get(tag, ("/".join(parts[:depth]), None))
                if depth < len(parts) and children is None:
                    children = {}
                level[tag] = (node_path, children)
                level = children
        return trie

    def _index(self, element: ET._Element, trie: _Trie) -> _Index:
        """Index the elements below ``element`` at the paths of ``trie``, in one walk.

        Subtrees that no path leads into are not visited. Elements of other namespaces
        are not found, as with ``find()`` and the message namespace.
        """
        index: _Index = {}
        self._index_children(element, trie, index)
        return index

    def _index_children(self, element: ET._Element, trie: _Trie, index: _Index) -> None:
        for child in element:
            # Comments and processing instructions have a function as tag, so they miss.
            node = trie.get(child.tag)
            if node is None:
                continue
            path, children = node
            found = index.get(path)
            if found is None:
                index[path] = [child]
            else:
                found.append(child)
            if children is not None:
                self._index_children(child, children, index)

    def _amount(self, index: _Index, *paths: str) -> tuple[int, str] | None:
        """Return (cents, currency) of the first amount element found, or None."""
        for path in paths:
            found = index.get(path)
            if found and found[0].text:
                return self._cents(found[0].text), found[0].get("Ccy", "")
        return None

    def _element_amount(self, element: ET._Element, path: str) -> tuple[int, str] | None:
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

    def _date(self, index: _Index, path: str) -> date | None:
        text = _text_at(index, f"{path}/Dt") or _text_at(index, f"{path}/DtTm")
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise BankingError("invalid_date", file=self.file_name, value=text) from None

    # -- statement and entry ------------------------------------------------------------

    def _read_header(self, statement: ET._Element) -> StatementHeader:
        header = StatementHeader(
            number=len(self.statements),
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
        index = self._index(entry, self._entry_trie)
        amount = self._amount(index, "Amt")
        if amount is None:
            raise BankingError("missing_element", file=self.file_name, element="Ntry/Amt")
        entry_cents, currency = amount
        direction = _text_at(index, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            raise BankingError("missing_element", file=self.file_name, element="Ntry/CdtDbtInd")
        details = index.get(DETAIL_PATH, [])
        common = {
            "direction": direction,
            "currency": currency,
            "booking_date": self._date(index, "BookgDt"),
            "value_date": self._date(index, "ValDt"),
            "status": _text_at(index, "Sts/Cd") or _text_at(index, "Sts") or "BOOK",
            "is_reversal": _text_at(index, "RvslInd").lower() in ("true", "1"),
            "entry_reference": _text_at(index, "AcctSvcrRef"),
            "entry_amount_cents": entry_cents,
            "entry_transaction_count": max(len(details), 1),
        }
        entry_codes = self._codes(index)
        entry_charges = self._charges(index)

        if not details:
            transaction = ParsedTransaction(
                amount_cents=entry_cents,
                position=position,
                charges_cents=entry_charges,
                **common,
                **entry_codes,
            )
            return [transaction]

        transactions = []
        single = len(details) == 1
        for detail_index, detail in enumerate(details):
            fields = self._index(detail, self._detail_trie)
            amount = self._amount(fields, "Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt") or (
                entry_cents,
                currency,
            )
            transaction = ParsedTransaction(
                amount_cents=amount[0],
                position=position,
                detail_index=detail_index,
                charges_cents=self._charges(fields) or (entry_charges if single else 0),
                **common,
                **(self._codes(fields) if "BkTxCd" in fields else entry_codes),
            )
            self._read_detail(fields, transaction)
            transactions.append(transaction)
        return transactions

    def _codes(self, index: _Index) -> dict[str, str]:
        return {
            "domain_code": _text_at(index, "BkTxCd/Domn/Cd"),
            "family_code": _text_at(index, "BkTxCd/Domn/Fmly/Cd"),
            "subfamily_code": _text_at(index, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            "proprietary_code": _text_at(index, "BkTxCd/Prtry/Cd"),
        }

    def _charges(self, index: _Index) -> int:
        """Sum the charges of an entry or transaction, in every version's layout."""
        total = 0
        for charges in index.get("Chrgs", ()):
            overall = self._element_amount(charges, "TtlChrgsAndTaxAmt")
            if overall is not None:
                total += overall[0]
                continue
            records = charges.findall(self._q("Rcrd"))
            if records:
                total += sum(
                    (self._element_amount(record, "Amt") or (0, ""))[0] for record in records
                )
            else:
                total += (self._element_amount(charges, "Amt") or (0, ""))[0]
        return total

    def _read_detail(self, fields: _Index, transaction: ParsedTransaction) -> None:
        text = _text_at
        transaction.bank_reference = text(fields, "Refs/AcctSvcrRef")
        end_to_end = text(fields, "Refs/EndToEndId")
        transaction.end_to_end_id = "" if end_to_end.upper() == NOT_PROVIDED else end_to_end
        transaction.mandate_id = text(fields, "Refs/MndtId")
        transaction.remittance_lines = [
            (line.text or "").strip() for line in fields.get("RmtInf/Ustrd", ())
        ]
        transaction.structured_references = [
            (ref.text or "").strip()
            for ref in fields.get("RmtInf/Strd/CdtrRefInf/Ref", ())
            if ref.text
        ]
        transaction.return_reason = text(fields, "RtrInf/Rsn/Cd") or text(
            fields, "RtrInf/Rsn/Prtry"
        )

        # The counterparty of a credit or a returned debit is the debtor; of another
        # debit the creditor. Version 08 wraps the party in Pty.
        party_order = ("Dbtr", "UltmtDbtr", "Cdtr")
        if transaction.direction == "DBIT" and not transaction.return_reason:
            party_order = ("Cdtr", "UltmtCdtr", "Dbtr")
        for party in party_order:
            name = text(fields, f"RltdPties/{party}/Nm") or text(
                fields, f"RltdPties/{party}/Pty/Nm"
            )
            if name:
                transaction.counterparty_name = name
                break
        account = "CdtrAcct" if party_order[0] == "Cdtr" else "DbtrAcct"
        transaction.counterparty_iban = text(fields, f"RltdPties/{account}/Id/IBAN")


def _text_at(index: _Index, path: str) -> str:
    """Return the stripped text of the first element at a path of the index, or ""."""
    found = index.get(path)
    if found:
        text = found[0].text
        if text:
            return text.strip()
    return ""
