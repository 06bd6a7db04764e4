"""Import of the German bank files in data/ and the matching of every line."""

import pytest

from stadtkasse.banking.models import BankAllocation, BankImport, BankTransaction, MatchState
from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import Payment, PaymentState

TRANSFERS = "sparkasse_camt053_v08_ueberweisungen.xml"


def line(remittance_part: str) -> BankTransaction:
    return BankTransaction.objects.get(remittance__contains=remittance_part)


def confirmed(order) -> list[Payment]:
    return list(order.payments.filter(state=PaymentState.CONFIRMED))


@pytest.fixture
def transfers(orders, import_file):
    return import_file(TRANSFERS)


def test_transfers_counts(transfers):
    assert transfers.entries == 15
    assert transfers.count(MatchState.MATCHED) == 9
    assert transfers.count(MatchState.PARTLY_MATCHED) == 3
    assert transfers.count(MatchState.UNMATCHED) == 2
    assert transfers.count(MatchState.IGNORED) == 1
    assert transfers.duplicates == 0


@pytest.mark.parametrize(
    ("number", "remittance"),
    [
        (101, "Hundesteuer 2026"),  # split over two Ustrd lines in the middle of the number
        (102, "Bewohnerparkausweis"),  # with spaces
        (103, "Meldebescheinigung"),  # with dots and a dash
        (104, "Anwohnerparkausweis"),  # "KZ 510000010 43" across a line break
        (105, "Sondernutzung"),  # without check digit
        (114, "51000001142"),  # entry amount lowered by charges
        (115, "Führungszeugnis 51000001159"),  # umlauts, pending portal transfer
    ],
)
def test_transfer_matched_and_paid(transfers, orders, number, remittance):
    order = orders[number]
    order.refresh_from_db()
    row = line(remittance)
    assert row.state == MatchState.MATCHED
    assert order.state == OrderState.PAID
    assert [a.order_id for a in row.allocations.all()] == [order.pk]


def test_creditor_reference_matched(transfers, orders):
    orders[106].refresh_from_db()
    row = BankTransaction.objects.get(structured_reference="RF1051000001068")
    assert row.state == MatchState.MATCHED
    assert orders[106].state == OrderState.PAID


def test_two_kassenzeichen_split_by_open_amounts(transfers, orders):
    row = line("Saisonkarten")
    amounts = {a.order_id: a.amount_cents for a in row.allocations.all()}
    assert row.state == MatchState.MATCHED
    assert amounts == {orders[107].pk: 1000, orders[108].pk: 1500}


def test_two_kassenzeichen_not_adding_up(transfers, orders):
    row = line("51000001092 51000001100")
    assert row.state == MatchState.PARTLY_MATCHED
    assert row.allocations.count() == 0
    assert [c["order"] for c in row.candidates] == ["B-109", "B-110"]
    assert "35,00" in row.note


def test_charges_keep_transaction_amount(transfers):
    row = line("51000001142")
    assert row.amount_cents == 10000
    assert row.entry_amount_cents == 9950
    assert row.charges_cents == 50


def test_pending_portal_transfer_confirmed(transfers, orders):
    payments = list(orders[115].payments.all())
    assert len(payments) == 1
    assert payments[0].state == PaymentState.CONFIRMED
    assert payments[0].provider_reference == "2026030200013"


def test_partial_payment_flagged(transfers, orders):
    row = line("Teilzahlung")
    payment = confirmed(orders[111])[0]
    assert row.state == MatchState.PARTLY_MATCHED
    assert payment.amount_cents == 2000
    assert payment.needs_clarification is True


def test_overpayment_flagged(transfers, orders):
    row = line("51000001126")
    payment = confirmed(orders[112])[0]
    assert row.state == MatchState.PARTLY_MATCHED
    assert payment.amount_cents == 4500
    assert payment.needs_clarification is True


def test_typo_unmatched_with_candidate(transfers, orders):
    row = line("5100 0001 314")
    assert row.state == MatchState.UNMATCHED
    assert row.candidates[0]["order"] == "B-113"
    assert row.candidates[0]["reasons"] == ["kassenzeichen", "amount"]


def test_no_reference_unmatched_with_amount_candidates(transfers, orders):
    row = line("Spende Stadtfest")
    assert row.state == MatchState.UNMATCHED
    assert row.candidates[0]["order"] == "B-111"
    assert row.counterparty_name == "Förderverein Stadtfest e. V."


def test_fee_debit_ignored(transfers):
    row = line("Kontoführung")
    assert row.state == MatchState.IGNORED
    assert row.bank_transaction_code == "PMNT/ACMT/MDOP"


def test_payment_event_carries_bank_line(transfers, orders):
    event = confirmed(orders[101])[0].events.get(to_state=PaymentState.CONFIRMED)
    assert event.data["bank_line"] == line("Hundesteuer 2026").pk
    assert event.data["payer_name"] == "Jürgen Müller"


def test_reimport_changes_nothing(transfers, import_file, orders):
    counts = (BankTransaction.objects.count(), Payment.objects.count(), BankImport.objects.count())
    again = import_file(TRANSFERS)
    assert again.entries == 0
    assert again.duplicates == 15
    assert again.bank_import is None
    assert (
        BankTransaction.objects.count(),
        Payment.objects.count(),
        BankImport.objects.count(),
    ) == counts


def test_reversal_reopens_match(transfers, import_file, orders):
    result = import_file("sparkasse_camt053_v08_storno.xml")
    reversal = BankTransaction.objects.get(is_reversal=True)
    original = BankTransaction.objects.get(
        is_reversal=False, remittance__startswith="Bewohnerparkausweis"
    )
    assert result.count(MatchState.MATCHED) == 1
    assert original.reversed_by_id == reversal.pk
    assert original.state == MatchState.MATCHED
    assert [a.amount_cents for a in reversal.allocations.all()] == [-1250]
    assert orders[102].payments.get().refunds.get().amount_cents == 1250


def test_notification_then_statement_books_once(orders, import_file):
    first = import_file("sparkasse_camt054_v08_avis.xml")
    second = import_file("sparkasse_camt053_v08_tagesauszug.xml")
    assert first.count(MatchState.MATCHED) == 1
    assert second.entries == 1
    assert second.duplicates == 1
    assert len(confirmed(orders[119])) == 1
    assert len(confirmed(orders[120])) == 1


def test_intraday_report_skips_pending(orders, import_file):
    result = import_file("sparkasse_camt052_v06_umsaetze.xml")
    assert result.message_type == "camt.052.001.06"
    assert result.entries == 1
    assert result.not_booked == 1


def test_collection_batch_confirms_each_debit(orders, import_file):
    result = import_file("volksbank_camt053_v02_lastschrift.xml")
    rows = list(BankTransaction.objects.order_by("pk"))
    assert result.count(MatchState.MATCHED) == 3
    assert [row.amount_cents for row in rows] == [2500, 3000, 2000]
    assert {row.entry_amount_cents for row in rows} == {7470}
    assert {row.entry_transaction_count for row in rows} == {3}
    for number in (116, 117, 118):
        payment = orders[number].payments.get()
        assert payment.state == PaymentState.CONFIRMED
        assert payment.method == "sepa_debit"


def test_returned_debit_records_chargeback(orders, import_file):
    import_file("volksbank_camt053_v02_lastschrift.xml")
    result = import_file("volksbank_camt053_v02_ruecklastschrift.xml")
    row = BankTransaction.objects.get(return_reason="MD06")
    refund = orders[116].payments.get().refunds.get()
    orders[116].refresh_from_db()
    assert result.count(MatchState.MATCHED) == 1
    assert row.kind == "return"
    assert row.charges_cents == 300
    assert refund.amount_cents == 2500
    assert refund.fee_cents == 300
    assert refund.reason_code == "MD06"
    assert orders[116].state == OrderState.PENDING_PAYMENT


def test_allocations_sum_to_matched_credits(transfers):
    total = sum(a.amount_cents for a in BankAllocation.objects.all())
    assert total == 2500 + 1250 + 3000 + 4500 + 6000 + 8000 + 2500 + 2000 + 4500 + 10000 + 2850


def test_statement_of_other_account_rejected(town, orders, import_file):
    from stadtkasse.banking.errors import BankingError
    from stadtkasse.banking.models import BankTransaction
    from stadtkasse.sepa.models import SepaSettings

    SepaSettings.objects.create(
        municipality=town,
        payee_name="Stadtkasse Musterstadt",
        iban="DE02120300000000202051",
        bic="BYLADEM1001",
        creditor_id="DE98ZZZ09999999999",
    )

    with pytest.raises(BankingError) as raised:
        import_file("sparkasse_camt053_v08_ueberweisungen.xml")

    assert raised.value.code == "foreign_account"
    assert "DE44250501800000123456" in raised.value.message
    assert BankTransaction.objects.count() == 0
