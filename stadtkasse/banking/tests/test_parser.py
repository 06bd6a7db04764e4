"""The camt reader: versions, sample files of other projects, and broken files."""

import io
import uuid

import pytest

from stadtkasse.banking import services
from stadtkasse.banking.camt import CamtReader, ParsedTransaction
from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.matching import search_references
from stadtkasse.banking.models import BankImport, BankTransaction
from stadtkasse.banking.references import (
    Scheme,
    creditor_reference,
    find_kassenzeichen,
    is_valid_creditor_reference,
)
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment

from .conftest import DATA, SAMPLES

SCHEME = Scheme(prefix="51", width=8, method="mod10")


def read(path):
    with open(path, "rb") as stream:
        reader = CamtReader(stream, path.name)
        transactions = [t for _header, entry in reader for t in entry]
    return reader, transactions


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
@pytest.mark.parametrize("message", ["052", "053", "054"])
def test_every_version_read(message, version):
    container = {"052": "BkToCstmrAcctRpt", "053": "BkToCstmrStmt", "054": "BkToCstmrDbtCdtNtfctn"}
    statement = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}[message]
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:'
        f'xsd:camt.{message}.001.{version}"><{container[message]}><GrpHdr><MsgId>M1</MsgId>'
        f"</GrpHdr><{statement}><Id>A1</Id><Acct><Id><IBAN>DE44250501800000123456</IBAN></Id>"
        f'</Acct><Ntry><Amt Ccy="EUR">12.34</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry></{statement}></{container[message]}>"
        "</Document>"
    ).encode()
    reader = CamtReader(io.BytesIO(xml), "test.xml")
    transactions = [t for _header, entry in reader for t in entry]
    assert (reader.message_type, reader.version) == (message, version)
    assert [t.amount_cents for t in transactions] == [1234]


def statement_xml(entry: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:'
        'xsd:camt.053.001.02" xmlns:x="urn:example:other"><BkToCstmrStmt><GrpHdr><MsgId>M1'
        "</MsgId></GrpHdr><Stmt><Id>A1</Id><Acct><Id><IBAN>DE44250501800000123456</IBAN>"
        f"</Id></Acct>{entry}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_other_namespace_elements_ignored():
    entry = (
        '<Ntry><x:Amt>99.99</x:Amt><Amt Ccy="EUR">12.34</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        "<x:Sts><Cd>PDNG</Cd></x:Sts><NtryDtls><TxDtls><x:Refs><EndToEndId>X</EndToEndId>"
        "</x:Refs><RmtInf><Ustrd>eins</Ustrd><x:Ustrd>fremd</x:Ustrd></RmtInf></TxDtls>"
        "</NtryDtls></Ntry>"
    )

    (transaction,) = [t for _h, e in CamtReader(io.BytesIO(statement_xml(entry)), "f") for t in e]

    assert transaction.amount_cents == 1234
    assert transaction.status == "BOOK"
    assert transaction.end_to_end_id == ""
    assert transaction.remittance_lines == ["eins"]


def test_charges_of_every_layout_summed():
    entry = (
        '<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<Chrgs><Amt>0.10</Amt></Chrgs><Chrgs><Amt>0.20</Amt></Chrgs><NtryDtls>"
        "<TxDtls><Amt>6.00</Amt><Chrgs><Rcrd><Amt>0.05</Amt></Rcrd><Rcrd><Amt>0.07</Amt>"
        "</Rcrd></Chrgs></TxDtls><TxDtls><Amt>4.00</Amt><Chrgs><TtlChrgsAndTaxAmt>0.30"
        "</TtlChrgsAndTaxAmt></Chrgs></TxDtls><TxDtls><Amt>0.00</Amt></TxDtls></NtryDtls></Ntry>"
    )

    transactions = [t for _h, e in CamtReader(io.BytesIO(statement_xml(entry)), "f") for t in e]

    assert [t.charges_cents for t in transactions] == [12, 30, 0]
    assert {t.entry_transaction_count for t in transactions} == {3}


def test_foreign_root_rejected_first():
    # The file breaks right after its root element, which is checked before the rest.
    xml = b'<?xml version="1.0" encoding="UTF-8"?><html xmlns="urn:example:page"><body><<'

    with pytest.raises(BankingError) as raised:
        list(CamtReader(io.BytesIO(xml), "seite.xml"))

    assert raised.value.code == "wrong_namespace"
    assert "urn:example:page" in raised.value.message


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared bank samples are not on this machine")
@pytest.mark.parametrize(
    ("name", "version", "count"),
    [
        ("camt053.v2.minimal.xml", "02", 1),
        ("camt053.v2.multi.statement.xml", "02", 2),
        ("camt053.v2.all-balance-types.xml", "02", 1),
        ("camt052.v2.xml", "02", 1),
        ("camt054.v2.xml", "02", 3),
        ("camt053.v4.xml", "04", 1),
    ],
)
def test_sample_files_read(name, version, count):
    reader, transactions = read(SAMPLES / name)
    assert reader.version == version
    assert len(transactions) == count


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared bank samples are not on this machine")
def test_sample_multi_statement_headers():
    reader, _transactions = read(SAMPLES / "camt053.v2.multi.statement.xml")
    assert [h.statement_id for h in reader.statements] == [
        "253EURNL26VAYB8060476890",
        "254EURNL26VAYB8060476890",
    ]


def test_version_08_parties_and_codes():
    _reader, transactions = read(DATA / "sparkasse_camt053_v08_ueberweisungen.xml")
    first = transactions[0]
    assert first.counterparty_name == "Jürgen Müller"
    assert first.remittance_lines == ["Hundesteuer 2026 Kassenzeichen 5100.00", "01.01-9 Danke"]
    assert first.bank_transaction_code == "PMNT/RCDT/ESCT"


def test_version_02_return_reason():
    _reader, transactions = read(DATA / "volksbank_camt053_v02_ruecklastschrift.xml")
    assert transactions[0].return_reason == "MD06"
    assert transactions[0].charges_cents == 300
    assert transactions[0].entry_amount_cents == 2800


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "kaputt_abgeschnitten.xml",
            "Die Datei „kaputt_abgeschnitten.xml“ ist beschädigt oder unvollständig",
        ),
        ("kein_xml.xml", "Die Datei „kein_xml.xml“ ist keine XML-Datei."),
        (
            "falscher_namensraum.xml",
            "Die Datei „falscher_namensraum.xml“ ist keine camt.052-, camt.053- oder "
            "camt.054-Nachricht der Versionen 02 bis 08 (gefunden: "
            "„urn:iso:std:iso:20022:tech:xsd:pain.008.001.08“).",
        ),
        (
            "mit_doctype.xml",
            "Die Datei „mit_doctype.xml“ enthält eine Dokumenttyp-Deklaration (DOCTYPE)",
        ),
    ],
)
def test_broken_file_imports_nothing(orders, import_file, name, message):
    with pytest.raises(BankingError) as raised:
        import_file(name)
    assert raised.value.message.startswith(message)
    assert BankImport.objects.count() == 0
    assert BankTransaction.objects.count() == 0
    assert orders[101].payments.count() == 0


def test_cut_file_after_batches_imports_nothing(orders, import_file, monkeypatch, tmp_path):
    # Batches of two lines, so that several batches are stored and their payments
    # confirmed before the reader meets the cut.
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    monkeypatch.setattr(services, "READ_AHEAD_CHUNK", 1)
    text = (DATA / "sparkasse_camt053_v08_ueberweisungen.xml").read_text(encoding="utf-8")
    last_entry = text.rindex("<Ntry>")
    cut = tmp_path / "abgeschnitten.xml"
    cut.write_text(text[: last_entry + 40], encoding="utf-8")
    payments_before = Payment.objects.count()

    with pytest.raises(BankingError) as raised:
        import_file(cut)

    assert raised.value.message.startswith("Die Datei „abgeschnitten.xml“ ist beschädigt")
    assert BankImport.objects.count() == 0
    assert BankTransaction.objects.count() == 0
    assert Payment.objects.count() == payments_before
    assert Order.objects.filter(state=OrderState.PAID).count() == 0


def test_empty_file_rejected():
    with pytest.raises(BankingError) as raised:
        list(CamtReader(io.BytesIO(b""), "leer.xml"))
    assert raised.value.code == "empty_file"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["KZ 5100 0000 011"], ["51000000011"]),
        (["5100.0000.01-1"], ["51000000011"]),
        (["Gebühr KZ 510000000", " 11 Danke"], ["51000000011"]),
        (["Kassenzeichen 51000000 01"], ["51000000011"]),
        (["51000001019 und 51000001027"], ["51000001019", "51000001027"]),
        (["Rechnung 2026 vom 02.03.2026"], []),
    ],
)
def test_kassenzeichen_found(lines, expected):
    texts = lines if len(lines) == 1 else ["".join(lines), " ".join(lines)]
    found = [item.kassenzeichen for item in find_kassenzeichen(texts, SCHEME)]
    assert found == expected


def test_creditor_reference_check_digits():
    assert creditor_reference("51000001068") == "RF1051000001068"
    assert is_valid_creditor_reference("RF10 5100 0001 068") is True
    assert is_valid_creditor_reference("RF1151000001068") is False


def test_search_reads_every_reference():
    """The search that the parsing thread runs: payment reference, RF reference, text."""
    reference = uuid.uuid4()
    parsed = ParsedTransaction(
        direction="CRDT",
        amount_cents=2500,
        currency="EUR",
        booking_date=None,
        value_date=None,
        status="BOOK",
        is_reversal=False,
        entry_reference="",
        entry_amount_cents=2500,
        entry_transaction_count=1,
        position=1,
        end_to_end_id=reference.hex.upper(),
        remittance_lines=["Gebühr KZ 510000000", "11 und 5100.0001.01-9"],
        structured_references=["RF1051000001068", "RF00 UNBEKANNT"],
    )

    search = search_references(parsed, SCHEME)

    assert search.payment_reference == reference
    # The creditor reference comes first, then the text in the order of writing. A
    # Kassenzeichen found in both readings of the cut text counts once.
    assert search.kassenzeichen == ("51000001068", "51000000011", "51000001019")
    assert search.texts == [
        "Gebühr KZ 51000000011 und 5100.0001.01-9",
        "Gebühr KZ 510000000 11 und 5100.0001.01-9",
        "RF00 UNBEKANNT",
    ]
