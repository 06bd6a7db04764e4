"""SEPA files for the bank: pain.008 direct debits and pain.001 refund transfers.

sepaxml builds the XML. Its own check with xmlschema takes seconds for 10,000
transactions, so each file is checked here with lxml against the XSD that sepaxml ships.
A file that fails the check is not written and nothing is marked exported.
"""

import hashlib
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import sepaxml
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import pgettext
from lxml import etree
from sepaxml import SepaDD, SepaTransfer
from text_unidecode import unidecode

from stadtkasse.core.models import Municipality
from stadtkasse.core.services import audit
from stadtkasse.sepa.calendar import add_business_days
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.models import (
    DebitState,
    DirectDebit,
    MandateType,
    SepaFile,
    SepaMandate,
    SequenceType,
)
from stadtkasse.sepa.services import local_today, remittance_text, sepa_settings
from stadtkasse.sepa.validation import POSTCODE_MAX, STREET_MAX, TOWN_MAX

logger = logging.getLogger(__name__)

DEBIT_SCHEMAS = ("pain.008.001.08", "pain.008.001.02")
TRANSFER_SCHEMAS = ("pain.001.001.09", "pain.001.001.03")
# A CORE direct debit file must reach the bank at least one business day before the
# collection date. An overdue debit is collected at the earliest date still possible.
CORE_LEAD_BUSINESS_DAYS = 1
# Ids per UPDATE statement, well below SQLite's limit of host parameters.
UPDATE_CHUNK = 1000


def sepa_folder(municipality: Municipality) -> Path:
    folder = Path(settings.DATA_DIR) / "sepa" / municipality.slug
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_path(sepa_file: SepaFile) -> Path:
    return sepa_folder(sepa_file.municipality) / sepa_file.filename


@cache
def _xml_schema(schema: str) -> etree.XMLSchema:
    path = Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def check_xml(xml: bytes, schema: str, kind: str) -> None:
    """Validate a pain file against its XSD; raise SepaError naming the first problem."""
    xml_schema = _xml_schema(schema)
    if not xml_schema.validate(etree.fromstring(xml)):
        detail = str(xml_schema.error_log.last_error)[:300]
        logger.error("%s file failed the schema check %s: %s", kind, schema, detail)
        raise SepaError("invalid_sepa_file", kind=kind, detail=detail)


def _write_file(folder: Path, filename: str, xml: bytes) -> None:
    """Write the file under a temporary name first, so that no half file is ever listed."""
    target = folder / filename
    partial = folder / f".{filename}.partial"
    with open(partial, "wb") as handle:
        handle.write(xml)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)


@dataclass
class ExportResult:
    """A written pain file with its record; ``xml`` is the file's content."""

    sepa_file: SepaFile
    xml: bytes


def _check_schema(schema: str, choices: tuple[str, ...]) -> None:
    if schema not in choices:
        raise SepaError("unknown_schema", value=schema, choices=", ".join(choices))


def _store_file(
    municipality: Municipality,
    *,
    kind: str,
    schema: str,
    message_id: str,
    xml: bytes,
    count: int,
    total_cents: int,
    user,
) -> SepaFile:
    """Write the file and its record; the caller removes the file if its transaction fails."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    filename = f"{kind}-{stamp}-{message_id[-12:]}.xml"
    _write_file(sepa_folder(municipality), filename, xml)
    return SepaFile.objects.create(
        municipality=municipality,
        kind=kind,
        schema=schema,
        message_id=message_id,
        filename=filename,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        transaction_count=count,
        total_cents=total_cents,
        sha256=hashlib.sha256(xml).hexdigest(),
    )


@contextmanager
def _removed_on_error(sepa_file: SepaFile):
    """Delete the written file when marking its transactions fails; the rollback follows."""
    try:
        yield
    except BaseException:
        file_path(sepa_file).unlink(missing_ok=True)
        raise


# Direct debits (pain.008)


def due_debits(municipality: Municipality, due: date) -> QuerySet:
    """Return the scheduled debits due on or before ``due`` that are in no file yet."""
    return DirectDebit.objects.filter(
        mandate__municipality=municipality,
        state=DebitState.SCHEDULED,
        file__isnull=True,
        due_date__lte=due,
        mandate__revoked_at__isnull=True,
    ).order_by("due_date", "pk")


@dataclass
class _DebitRow:
    """The columns of a debit that an export reads, without building model instances."""

    pk: int
    amount_cents: int
    due_date: date
    end_to_end_id: str
    mandate_id: int
    mandate_type: str
    first_used_at: object
    account_holder: str
    iban: str
    bic: str
    mandate_reference: str
    signed_on: date
    street: str
    postcode: str
    town: str
    country: str
    kassenzeichen: str
    order_code: str
    locale: str
    sequence_type: str = ""
    collection_date: date | None = None


# Columns of _DebitRow in order, read with values_list: building 10,000 model instances
# with their mandates, payments and orders took over a second.
_ROW_COLUMNS = (
    "pk",
    "amount_cents",
    "due_date",
    "end_to_end_id",
    "mandate_id",
    "mandate__mandate_type",
    "mandate__first_used_at",
    "mandate__account_holder",
    "mandate__iban",
    "mandate__bic",
    "mandate__reference",
    "mandate__signed_on",
    "mandate__address_street",
    "mandate__address_postcode",
    "mandate__address_town",
    "mandate__address_country",
    "payment__order__kassenzeichen",
    "payment__order__code",
    "payment__order__locale",
)


def _sequence_type(row: _DebitRow) -> str:
    if row.mandate_type == MandateType.ONE_OFF:
        return SequenceType.ONE_OFF
    return SequenceType.FIRST if row.first_used_at is None else SequenceType.RECURRING


def _choose(rows: list[_DebitRow], earliest_collection: date) -> list[_DebitRow]:
    """Give each debit its sequence type and collection date; one FRST per mandate."""
    chosen = []
    first_use_seen: set[int] = set()
    for row in rows:
        sequence_type = _sequence_type(row)
        if sequence_type == SequenceType.FIRST:
            if row.mandate_id in first_use_seen:
                continue
            first_use_seen.add(row.mandate_id)
        row.sequence_type = sequence_type
        row.collection_date = max(row.due_date, earliest_collection)
        chosen.append(row)
    return chosen


def _debtor_address(row: _DebitRow, schema: str) -> dict:
    """Return the debtor's postal address in sepaxml's form, or an empty dict without a town.

    Town and country are the least a SEPA address must contain. The 2019 message version
    (.08) gets the structured parts. The XSD of the 2009 version (.02) allows them too,
    but the EPC implementation guidelines for .02 allow only Ctry and at most two
    AdrLine, so the address goes there as two lines. The text is transliterated
    to Latin letters, as sepaxml does with the name when ``clean`` is set, and cut to the
    schema's lengths, because one letter may become several.
    """
    if not (row.town and row.country):
        return {}
    street = unidecode(row.street)[:STREET_MAX]
    postcode = unidecode(row.postcode)[:POSTCODE_MAX]
    town = unidecode(row.town)[:TOWN_MAX]
    if schema == "pain.008.001.02":
        place = " ".join(part for part in (postcode, town) if part)
        return {"country": row.country, "lines": [line for line in (street, place) if line]}
    address = {"town": town, "country": row.country}
    if street:
        address["street_name"] = street
    if postcode:
        address["postcode"] = postcode
    return address


def export_direct_debits(
    municipality: Municipality, *, due: date, schema: str = DEBIT_SCHEMAS[0], user=None
) -> ExportResult | None:
    """Write one pain.008 file of all debits due on or before ``due``; None if there are none.

    The debits are locked, so that two exports at the same time never put a debit into
    two files. The payments stay pending until the bank statement confirms them. A
    recurring mandate not used before goes out as FRST with its earliest debit only. Its
    later debits wait for the next file, where they go out as RCUR.
    """
    _check_schema(schema, DEBIT_SCHEMAS)
    account = sepa_settings(municipality)
    earliest_collection = add_business_days(local_today(), CORE_LEAD_BUSINESS_DAYS)

    with transaction.atomic():
        rows = [
            _DebitRow(*values)
            for values in due_debits(municipality, due)
            .select_for_update(of=("self",))
            .values_list(*_ROW_COLUMNS)
        ]
        chosen = _choose(rows, earliest_collection)
        if not chosen:
            logger.info("pain.008 export: no debits due by %s for %s", due, municipality.slug)
            return None

        config = {
            "name": account.payee_name,
            "IBAN": account.iban,
            "BIC": account.bic,
            "batch": True,
            "creditor_id": account.creditor_id,
            "currency": "EUR",
        }
        document = SepaDD(config, schema=schema, clean=True)
        for row in chosen:
            transaction_data = {
                "name": row.account_holder,
                "IBAN": row.iban,
                "amount": row.amount_cents,
                "type": row.sequence_type,
                "collection_date": row.collection_date,
                "mandate_id": row.mandate_reference,
                "mandate_date": row.signed_on,
                "description": remittance_text(row.kassenzeichen, row.order_code, row.locale),
                "endtoend_id": row.end_to_end_id,
            }
            if row.bic:
                transaction_data["BIC"] = row.bic
            address = _debtor_address(row, schema)
            if address:
                transaction_data["address"] = address
            document.add_payment(transaction_data)
        xml = document.export(validate=False)
        check_xml(xml, schema, "pain.008")

        total = sum(row.amount_cents for row in chosen)
        sepa_file = _store_file(
            municipality,
            kind=SepaFile.Kind.DIRECT_DEBITS,
            schema=schema,
            message_id=document.msg_id,
            xml=xml,
            count=len(chosen),
            total_cents=total,
            user=user,
        )
        with _removed_on_error(sepa_file):
            _mark_exported(chosen, sepa_file)
        audit(
            "sepa.debits_exported",
            sepa_file,
            municipality=municipality,
            user=user,
            data={"count": len(chosen), "total_cents": total, "due": due.isoformat()},
        )

    logger.info(
        "pain.008 exported: file=%s debits=%d total_cents=%d schema=%s",
        sepa_file.filename,
        len(chosen),
        total,
        schema,
    )
    return ExportResult(sepa_file=sepa_file, xml=xml)


def _mark_exported(rows: list[_DebitRow], sepa_file: SepaFile) -> None:
    """Store file, sequence type and collection date of the debits, a few queries in all.

    One UPDATE per sequence type and collection date in chunks of ids, because
    ``bulk_update`` builds a CASE expression per row and took seconds for 10,000 debits.
    """
    now = timezone.now()
    groups: dict[tuple[str, date], list[int]] = {}
    for row in rows:
        groups.setdefault((row.sequence_type, row.collection_date), []).append(row.pk)
    for (sequence_type, collection_date), ids in groups.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            DirectDebit.objects.filter(pk__in=ids[start : start + UPDATE_CHUNK]).update(
                state=DebitState.EXPORTED,
                file=sepa_file,
                exported_at=now,
                sequence_type=sequence_type,
                collection_date=collection_date,
            )
    first_uses = sorted({row.mandate_id for row in rows if row.sequence_type == SequenceType.FIRST})
    for start in range(0, len(first_uses), UPDATE_CHUNK):
        SepaMandate.objects.filter(
            pk__in=first_uses[start : start + UPDATE_CHUNK], first_used_at__isnull=True
        ).update(first_used_at=now)


# Refund transfers (pain.001)


def due_refunds(municipality: Municipality) -> QuerySet:
    """Return the pending refunds by bank transfer of a municipality."""
    from stadtkasse.payments.models import PaymentMethod, Refund, RefundKind, RefundState

    return Refund.objects.filter(
        payment__order__municipality=municipality,
        state=RefundState.PENDING,
        kind=RefundKind.REFUND,
        method__in=[PaymentMethod.TRANSFER, PaymentMethod.SEPA_DEBIT],
    ).order_by("created_at", "pk")


def refund_end_to_end_id(refund) -> str:
    return f"STK-REFUND-{refund.pk}"


def export_refund_transfers(
    municipality: Municipality, *, schema: str = TRANSFER_SCHEMAS[0], user=None
) -> ExportResult | None:
    """Write one pain.001 file of all pending refunds by transfer; None if there are none.

    After the file is stored the refunds are marked sent (done) by the refund services,
    in the same transaction.
    """
    from stadtkasse.payments.refunds import mark_refunds_sent

    _check_schema(schema, TRANSFER_SCHEMAS)
    account = sepa_settings(municipality)

    with transaction.atomic():
        refunds = list(
            due_refunds(municipality).select_for_update().select_related("payment__order")
        )
        if not refunds:
            logger.info("pain.001 export: no refunds pending for %s", municipality.slug)
            return None

        config = {
            "name": account.payee_name,
            "IBAN": account.iban,
            "BIC": account.bic,
            "batch": True,
            "currency": "EUR",
        }
        document = SepaTransfer(config, schema=schema, clean=True)
        execution_date = add_business_days(local_today(), 1)
        for refund in refunds:
            order = refund.payment.order
            transaction_data = {
                "name": refund.payee_name,
                "IBAN": refund.payee_iban,
                "amount": refund.amount_cents,
                "execution_date": execution_date,
                "description": _refund_text(order),
                "endtoend_id": refund_end_to_end_id(refund),
            }
            if refund.payee_bic:
                transaction_data["BIC"] = refund.payee_bic
            document.add_payment(transaction_data)
        xml = document.export(validate=False)
        check_xml(xml, schema, "pain.001")

        total = sum(refund.amount_cents for refund in refunds)
        sepa_file = _store_file(
            municipality,
            kind=SepaFile.Kind.TRANSFERS,
            schema=schema,
            message_id=document.msg_id,
            xml=xml,
            count=len(refunds),
            total_cents=total,
            user=user,
        )
        with _removed_on_error(sepa_file):
            mark_refunds_sent(refunds, file_reference=sepa_file.message_id)
        audit(
            "sepa.refunds_exported",
            sepa_file,
            municipality=municipality,
            user=user,
            data={"count": len(refunds), "total_cents": total},
        )

    logger.info(
        "pain.001 exported: file=%s refunds=%d total_cents=%d",
        sepa_file.filename,
        len(refunds),
        total,
    )
    return ExportResult(sepa_file=sepa_file, xml=xml)


def _refund_text(order) -> str:
    with translation.override(order.locale or "de"):
        return pgettext("remittance", "Refund Kassenzeichen %(kassenzeichen)s order %(code)s") % {
            "kassenzeichen": order.kassenzeichen,
            "code": order.code,
        }
