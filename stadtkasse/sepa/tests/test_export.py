import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from stadtkasse.core.models import Municipality
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.exports import check_xml, export_direct_debits, file_path
from stadtkasse.sepa.models import DebitState, DirectDebit, SepaFile, SepaMandate
from stadtkasse.sepa.services import debit_for_end_to_end_id, mark_returned
from stadtkasse.sepa.tests.conftest import grant_mandate, place

FAR = datetime.date(2099, 12, 31)


def ns(schema: str) -> dict:
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:{schema}"}


def debit_via_portal(shop, product, mandate_type="OOFF") -> DirectDebit:
    _response, payment = place(shop, product, "sepa_debit", quantity=1)
    grant_mandate(shop, payment, mandate_type=mandate_type)
    return DirectDebit.objects.get(payment=payment)


def later_debit(shop, product, mandate: SepaMandate) -> DirectDebit:
    """A second order collected under an existing recurring mandate."""
    from stadtkasse.portal.tests.conftest import add, checkout

    shop.cookies.clear()
    add(shop, product("tageskarte"), "Erwachsene", 3)
    checkout(shop, provider="sepa_debit")
    payment = Payment.objects.latest("created_at")
    return DirectDebit.objects.create(
        payment=payment,
        mandate=mandate,
        amount_cents=payment.amount_cents,
        due_date=timezone.localdate(),
        end_to_end_id=payment.reference.hex,
    )


def town() -> Municipality:
    return Municipality.objects.get(slug="musterstadt")


def transactions(xml: bytes, schema: str = "pain.008.001.08") -> list:
    return etree.fromstring(xml).findall(".//p:DrctDbtTxInf", ns(schema))


def sequence_types(xml: bytes, schema: str = "pain.008.001.08") -> list[str]:
    return [node.text for node in etree.fromstring(xml).findall(".//p:SeqTp", ns(schema))]


def test_one_off_debit_is_exported_as_ooff(shop, product):
    debit = debit_via_portal(shop, product)

    result = export_direct_debits(town(), due=FAR)

    assert sequence_types(result.xml) == ["OOFF"]
    debit.refresh_from_db()
    assert debit.state == DebitState.EXPORTED
    assert debit.sequence_type == "OOFF"
    assert debit.file == result.sepa_file


def test_key_fields_of_the_pain_008(shop, product):
    debit = debit_via_portal(shop, product)
    schema = ns("pain.008.001.08")

    root = etree.fromstring(export_direct_debits(town(), due=FAR).xml)
    (tx,) = root.findall(".//p:DrctDbtTxInf", schema)

    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=schema) == "1"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=schema) == "4.00"
    assert root.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=schema) == (
        "DE98ZZZ09999999999"
    )
    assert root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=schema) == "DE02120300000000202051"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=schema) == debit.payment.reference.hex
    assert tx.findtext("p:InstdAmt", namespaces=schema) == "4.00"
    assert tx.findtext(".//p:MndtId", namespaces=schema) == debit.mandate.reference
    assert tx.findtext(".//p:DtOfSgntr", namespaces=schema) == debit.mandate.signed_on.isoformat()
    assert tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=schema) == "DE02120300000000202051"
    assert tx.findtext("p:Dbtr/p:Nm", namespaces=schema) == "Maria Muster"
    assert debit.payment.order.kassenzeichen in tx.findtext("p:RmtInf/p:Ustrd", namespaces=schema)


def test_recurring_mandate_goes_frst_then_rcur(shop, product):
    first = debit_via_portal(shop, product, mandate_type="RCUR")
    first_xml = export_direct_debits(town(), due=FAR).xml
    second = later_debit(shop, product, first.mandate)

    second_xml = export_direct_debits(town(), due=FAR).xml

    assert sequence_types(first_xml) == ["FRST"]
    assert sequence_types(second_xml) == ["RCUR"]
    second.refresh_from_db()
    assert second.sequence_type == "RCUR"


def test_unused_recurring_mandate_sends_one_frst_per_file(shop, product):
    first = debit_via_portal(shop, product, mandate_type="RCUR")
    second = later_debit(shop, product, first.mandate)

    first_xml = export_direct_debits(town(), due=FAR).xml
    second_xml = export_direct_debits(town(), due=FAR).xml

    assert sequence_types(first_xml) == ["FRST"]
    assert sequence_types(second_xml) == ["RCUR"]
    second.refresh_from_db()
    assert second.state == DebitState.EXPORTED


def test_second_export_finds_nothing(shop, product):
    debit_via_portal(shop, product)
    export_direct_debits(town(), due=FAR)

    assert export_direct_debits(town(), due=FAR) is None
    assert SepaFile.objects.count() == 1


def test_debits_due_later_wait(shop, product):
    debit = debit_via_portal(shop, product)

    result = export_direct_debits(town(), due=debit.due_date - datetime.timedelta(days=1))

    assert result is None
    debit.refresh_from_db()
    assert debit.state == DebitState.SCHEDULED


def test_payments_stay_pending_after_export(shop, product):
    debit = debit_via_portal(shop, product)

    export_direct_debits(town(), due=FAR)

    debit.payment.refresh_from_db()
    assert debit.payment.state == PaymentState.PENDING


def test_file_is_kept_in_the_data_folder(shop, product):
    debit_via_portal(shop, product)

    result = export_direct_debits(town(), due=FAR)

    assert file_path(result.sepa_file).read_bytes() == result.xml


def test_schema_02_is_selectable(shop, product):
    debit_via_portal(shop, product)

    result = export_direct_debits(town(), due=FAR, schema="pain.008.001.02")

    assert b"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02" in result.xml
    assert sequence_types(result.xml, "pain.008.001.02") == ["OOFF"]
    assert result.sepa_file.schema == "pain.008.001.02"


def test_unknown_schema_is_rejected(demo):
    with pytest.raises(SepaError) as raised:
        export_direct_debits(town(), due=FAR, schema="pain.008.001.01")

    assert raised.value.message == (
        "Das Schema „pain.008.001.01“ wird nicht unterstützt. Bitte wählen Sie eines von: "
        "pain.008.001.08, pain.008.001.02."
    )


def test_revoked_mandate_is_not_collected(shop, product):
    debit = debit_via_portal(shop, product, mandate_type="RCUR")
    SepaMandate.objects.update(revoked_at=timezone.now())

    assert export_direct_debits(town(), due=FAR) is None
    debit.refresh_from_db()
    assert debit.state == DebitState.SCHEDULED


def test_command_writes_the_file(shop, product, tmp_path, capsys):
    debit_via_portal(shop, product)
    out = tmp_path / "lastschriften.xml"

    call_command("export_direct_debits", "--due", "2099-12-31", "--out", str(out))

    assert transactions(out.read_bytes())
    assert "1 direct debits, 400 cents" in capsys.readouterr().out


def test_command_twice_exports_nothing_the_second_time(shop, product, tmp_path, capsys):
    debit_via_portal(shop, product)
    call_command("export_direct_debits", "--due", "2099-12-31", "--out", str(tmp_path / "a.xml"))

    call_command("export_direct_debits", "--due", "2099-12-31", "--out", str(tmp_path / "b.xml"))

    assert "No direct debits due by 2099-12-31; no file written." in capsys.readouterr().out
    assert not (tmp_path / "b.xml").exists()


def test_command_rejects_a_bad_date(demo, tmp_path):
    with pytest.raises(CommandError, match="“31.12.2099” is not a valid date"):
        call_command("export_direct_debits", "--due", "31.12.2099", "--out", str(tmp_path / "x"))


def test_debit_found_by_end_to_end_id(shop, product):
    debit = debit_via_portal(shop, product)

    assert debit_for_end_to_end_id(debit.payment.reference.hex) == debit
    assert debit_for_end_to_end_id(debit.payment.reference.hex.upper()) == debit
    assert debit_for_end_to_end_id("NOTPROVIDED") is None


def test_mark_returned_twice_counts_once(shop, product):
    debit = debit_via_portal(shop, product, mandate_type="RCUR")
    export_direct_debits(town(), due=FAR)

    mark_returned(debit, reason_code="AC04", fee_cents=300)
    again = mark_returned(debit, reason_code="MS02", fee_cents=999)

    assert again.state == DebitState.RETURNED
    assert again.return_reason == "AC04"
    assert again.return_fee_cents == 300
    assert SepaMandate.objects.get().revoked_at is not None


def test_mark_returned_for_insufficient_funds_keeps_mandate(shop, product):
    debit = debit_via_portal(shop, product, mandate_type="RCUR")

    mark_returned(debit, reason_code="AM04")

    assert SepaMandate.objects.get().revoked_at is None


def test_chargeback_marks_debit_returned(shop, product):
    from stadtkasse.payments.providers.base import ProviderResult
    from stadtkasse.payments.services import apply_provider_result, record_chargeback

    debit = debit_via_portal(shop, product, mandate_type="RCUR")
    export_direct_debits(town(), due=FAR)
    payment = apply_provider_result(
        ProviderResult(
            payment_reference=str(debit.payment.reference),
            state="confirmed",
            amount_cents=debit.payment.amount_cents,
        ),
        cause="bank statement",
    )

    record_chargeback(
        payment,
        amount_cents=payment.amount_cents,
        reason_code="AC04",
        fee_cents=350,
        reference="RETURN-1",
        cause="bank statement",
    )

    debit.refresh_from_db()
    assert debit.state == DebitState.RETURNED
    assert debit.return_reason == "AC04"
    assert debit.return_fee_cents == 350


# Debtor address (PstlAdr), required for banks outside the EEA


def debit_with_address(shop, product, **changes) -> DirectDebit:
    _response, payment = place(shop, product, "sepa_debit", quantity=1)
    grant_mandate(
        shop,
        payment,
        **{
            "iban": "GB33 BUKB 2020 1555 5555 55",
            "street": "221b Baker Street",
            "postcode": "NW1 6XE",
            "town": "London",
            **changes,
        },
    )
    return DirectDebit.objects.get(payment=payment)


def debtor_address(xml: bytes, schema: str):
    (tx,) = transactions(xml, schema)
    return tx.find("p:Dbtr/p:PstlAdr", ns(schema))


def test_gb_debtor_address_in_schema_08(shop, product):
    debit_with_address(shop, product)
    schema = "pain.008.001.08"

    result = export_direct_debits(town(), due=FAR, schema=schema)

    address = debtor_address(result.xml, schema)
    assert address is not None
    assert [etree.QName(node).localname for node in address] == [
        "StrtNm",
        "PstCd",
        "TwnNm",
        "Ctry",
    ]
    assert address.findtext("p:StrtNm", namespaces=ns(schema)) == "221b Baker Street"
    assert address.findtext("p:PstCd", namespaces=ns(schema)) == "NW1 6XE"
    assert address.findtext("p:TwnNm", namespaces=ns(schema)) == "London"
    assert address.findtext("p:Ctry", namespaces=ns(schema)) == "GB"
    check_xml(result.xml, schema, "pain.008")


def test_gb_debtor_address_in_schema_02(shop, product):
    debit_with_address(shop, product)
    schema = "pain.008.001.02"

    result = export_direct_debits(town(), due=FAR, schema=schema)

    address = debtor_address(result.xml, schema)
    assert address is not None
    assert [etree.QName(node).localname for node in address] == ["Ctry", "AdrLine", "AdrLine"]
    assert address.findtext("p:Ctry", namespaces=ns(schema)) == "GB"
    assert [line.text for line in address.findall("p:AdrLine", ns(schema))] == [
        "221b Baker Street",
        "NW1 6XE London",
    ]
    check_xml(result.xml, schema, "pain.008")


@pytest.mark.parametrize("schema", ["pain.008.001.08", "pain.008.001.02"])
def test_debtor_address_transliterated(shop, product, schema):
    debit_with_address(
        shop,
        product,
        iban="CH93 0076 2011 6238 5295 7",
        street="Löwenstrasse 1",
        postcode="8001",
        town="Zürich",
    )

    xml = export_direct_debits(town(), due=FAR, schema=schema).xml

    text = "".join(debtor_address(xml, schema).itertext())
    assert "Zurich" in text
    assert "Lowenstrasse 1" in text
    assert "CH" in text


@pytest.mark.parametrize("schema", ["pain.008.001.08", "pain.008.001.02"])
def test_de_debtor_has_no_address(shop, product, schema):
    debit_via_portal(shop, product)

    xml = export_direct_debits(town(), due=FAR, schema=schema).xml

    (tx,) = transactions(xml, schema)
    debtor = tx.find("p:Dbtr", ns(schema))
    assert [etree.QName(node).localname for node in debtor] == ["Nm"]
    assert debtor.findtext("p:Nm", namespaces=ns(schema)) == "Maria Muster"
