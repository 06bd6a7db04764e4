"""Import in batches: bookings across batch borders, the bulk records, the candidates,
and parsing in a child process."""

import hashlib

import pytest

from stadtkasse.banking import services
from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.models import BankAllocation, BankImport, BankTransaction, MatchState
from stadtkasse.banking.tests.conftest import DATA
from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import ClarificationReason, Payment, PaymentState

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def statement_file(tmp_path, entries, name="batches.xml"):
    """Write a camt.053 file with one credit per (bank reference, cents, remittance)."""
    lines = []
    for reference, cents, remittance in entries:
        amount = f"{cents // 100}.{cents % 100:02d}"
        lines.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt>"
            f"<AcctSvcrRef>{reference}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT"
            "</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
            f'<Amt Ccy="EUR">{amount}</Amt><RltdPties><Dbtr><Pty><Nm>Erika Mustermann</Nm>'
            "</Pty></Dbtr><DbtrAcct><Id><IBAN>DE02370501980001802057</IBAN></Id></DbtrAcct>"
            f"</RltdPties><RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    path = tmp_path / name
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BATCH-1</MsgId></GrpHdr><Stmt><Id>BATCH-STMT-1</Id>"
        "<Acct><Id><IBAN>DE44250501800000123456</IBAN></Id></Acct>"
        + "".join(lines)
        + "</Stmt></BkToCstmrStmt></Document>",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)


def kassenzeichen(number: int) -> str:
    return kz.build("51", number, 8, "mod10")


def test_booking_repeated_in_later_batch_skipped(orders, import_file, small_batches, tmp_path):
    path = statement_file(
        tmp_path,
        [
            ("REF-1", 2500, f"KZ {kassenzeichen(101)}"),
            ("REF-2", 1250, f"KZ {kassenzeichen(102)}"),
            ("REF-3", 3000, f"KZ {kassenzeichen(103)}"),
            ("REF-1", 2500, f"KZ {kassenzeichen(101)}"),
        ],
    )

    result = import_file(path)

    assert result.entries == 3
    assert result.duplicates == 1
    assert BankTransaction.objects.filter(bank_reference="", entry_reference="REF-1").count() == 1
    assert orders[101].payments.count() == 1


def test_second_credit_in_later_batch_flagged(orders, import_file, small_batches, tmp_path):
    path = statement_file(
        tmp_path,
        [
            ("REF-1", 2500, f"KZ {kassenzeichen(101)}"),
            ("REF-2", 1250, f"KZ {kassenzeichen(102)}"),
            ("REF-3", 2500, f"nochmal KZ {kassenzeichen(101)}"),
        ],
    )

    result = import_file(path)

    second = BankTransaction.objects.get(entry_reference="REF-3")
    payments = list(orders[101].payments.order_by("pk"))
    assert result.count(MatchState.MATCHED) == 2
    assert second.state == MatchState.PARTLY_MATCHED
    assert [p.state for p in payments] == [PaymentState.CONFIRMED, PaymentState.CONFIRMED]
    assert payments[0].needs_clarification is False
    assert payments[1].clarification_reason == ClarificationReason.ALREADY_PAID


def test_bulk_confirmation_records(orders, import_file, tmp_path):
    path = statement_file(tmp_path, [("REF-1", 2500, f"KZ {kassenzeichen(101)}")])

    import_file(path)

    line = BankTransaction.objects.get()
    payment = Payment.objects.get(order=orders[101])
    event = payment.events.get()
    order = Order.objects.get(pk=orders[101].pk)
    cause = f"bank statement {path.name}"
    assert line.state == MatchState.MATCHED
    assert line.note == ""
    assert line.candidates == []
    assert (payment.method, payment.provider, payment.amount_cents) == ("transfer", "bank", 2500)
    assert payment.provider_reference == "REF-1"
    assert payment.confirmed_at is not None
    assert (event.from_state, event.to_state, event.cause) == ("created", "confirmed", cause)
    assert event.data == {
        "payer_iban": "DE02370501980001802057",
        "payer_name": "Erika Mustermann",
        "bank_line": line.pk,
    }
    assert order.state == OrderState.PAID
    assert order.paid_at == payment.confirmed_at
    assert list(
        BankAllocation.objects.values_list(
            "transaction_id", "order_id", "payment_id", "amount_cents"
        )
    ) == [(line.pk, order.pk, payment.pk, 2500)]
    entries = AuditLogEntry.objects.exclude(action="bank_statement.imported").order_by("pk")
    assert [(e.action, e.object_id, e.data, e.user_id) for e in entries] == [
        ("order.paid", str(order.pk), {"from": "pending_payment", "cause": cause}, None),
    ]
    assert {e.municipality_id for e in entries} == {order.municipality_id}


def test_candidates_newest_orders_of_same_amount(town, import_file, tmp_path):
    same_amount = [
        Order.objects.create(
            municipality=town,
            code=f"S-{number}",
            kassenzeichen=kassenzeichen(number),
            channel="portal",
            total_cents=777,
            state=OrderState.PENDING_PAYMENT,
        )
        for number in range(201, 208)
    ]
    path = statement_file(tmp_path, [("REF-1", 777, "Spende ohne Angabe")])

    import_file(path)

    line = BankTransaction.objects.get()
    newest = sorted(same_amount, key=lambda order: (order.created_at, order.pk))[-5:]
    assert line.state == MatchState.UNMATCHED
    assert sorted(c["order"] for c in line.candidates) == sorted(o.code for o in newest)
    assert {c["reasons"][0] for c in line.candidates} == {"amount"}
    assert {c["open_cents"] for c in line.candidates} == {777}


@pytest.fixture
def parse_in_child(monkeypatch):
    """Parse every file in a child process, and record each use of the child."""
    used = []
    read_in_child = services.read_in_child

    def recorded(*args, **kwargs):
        used.append(True)
        return read_in_child(*args, **kwargs)

    monkeypatch.setattr(services, "CHILD_MIN_BYTES", 0)
    monkeypatch.setattr(services, "CHILD_VENDORS", None)
    # The test process may run other threads (a live server of a browser test); the
    # child only parses, so it is safe here.
    monkeypatch.setattr(services, "can_read_in_child", lambda: True)
    monkeypatch.setattr(services, "read_in_child", recorded)
    return used


def test_child_import_same_result(orders, import_file, parse_in_child):
    result = import_file("sparkasse_camt053_v08_ueberweisungen.xml")

    assert parse_in_child == [True]
    assert result.entries == 15
    assert result.count(MatchState.MATCHED) == 9
    assert result.count(MatchState.PARTLY_MATCHED) == 3
    assert result.count(MatchState.UNMATCHED) == 2
    assert result.count(MatchState.IGNORED) == 1
    assert result.message_type == "camt.053.001.08"


def test_child_import_file_facts(orders, import_file, parse_in_child):
    path = DATA / "sparkasse_camt053_v08_ueberweisungen.xml"
    bank_import = import_file(path).bank_import

    bank_import.refresh_from_db()
    assert bank_import.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert bank_import.message_type == "053"
    assert bank_import.message_version == "08"
    assert bank_import.message_id


def test_child_statements_across_chunks(town, import_file, parse_in_child, monkeypatch, tmp_path):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    monkeypatch.setattr(services, "READ_AHEAD_CHUNK", 1)
    path = statement_file(
        tmp_path, [(f"CHILD{number}", 1000 + number, "Spende") for number in range(5)]
    )
    # A second statement without entries after the first.
    text = path.read_text(encoding="utf-8").replace(
        "</Stmt>",
        "</Stmt><Stmt><Id>BATCH-STMT-2</Id>"
        "<Acct><Id><IBAN>DE44250501800000123456</IBAN></Id></Acct></Stmt>",
    )
    path.write_text(text, encoding="utf-8")

    bank_import = import_file(path).bank_import

    statements = list(bank_import.statements.order_by("statement_id"))
    assert [statement.statement_id for statement in statements] == [
        "BATCH-STMT-1",
        "BATCH-STMT-2",
    ]
    assert [statement.entry_count for statement in statements] == [5, 0]


def test_child_broken_file_stores_nothing(town, import_file, parse_in_child):
    with pytest.raises(BankingError) as raised:
        import_file("kaputt_abgeschnitten.xml")

    assert raised.value.code == "broken_xml"
    assert not BankImport.objects.exists()
    assert not BankTransaction.objects.exists()
