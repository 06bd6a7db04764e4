import pytest
from django.core.management import call_command
from lxml import etree

from stadtkasse.core.models import Municipality
from stadtkasse.payments.models import Payment, PaymentState, Refund, RefundState
from stadtkasse.sepa.exports import export_refund_transfers, refund_end_to_end_id
from stadtkasse.sepa.models import SepaFile

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@pytest.fixture
def refund(transfer_payment):
    """A pending refund of 3,00 € for a transfer that the bank statement confirmed."""
    Payment.objects.filter(pk=transfer_payment.pk).update(state=PaymentState.CONFIRMED)
    return Refund.objects.create(
        payment=transfer_payment,
        method=transfer_payment.method,
        state=RefundState.PENDING,
        amount_cents=300,
        reason="Doppelt bezahlt",
        payee_name="Jürgen Groß",
        payee_iban="DE02120300000000202051",
        payee_bic="BYLADEM1001",
    )


def town() -> Municipality:
    return Municipality.objects.get(slug="musterstadt")


def test_pain_001_holds_the_refund(refund):
    root = etree.fromstring(export_refund_transfers(town()).xml)
    (tx,) = root.findall(".//p:CdtTrfTxInf", NS)

    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "3.00"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE02120300000000202051"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == refund_end_to_end_id(refund)
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "3.00"
    assert tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Jurgen Gross"
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE02120300000000202051"
    assert refund.payment.order.kassenzeichen in tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS)


def test_refund_is_marked_sent_with_the_message_id(refund):
    result = export_refund_transfers(town())

    refund.refresh_from_db()
    assert refund.state == RefundState.DONE
    assert refund.provider_reference == result.sepa_file.message_id


def test_second_refund_export_finds_nothing(refund):
    export_refund_transfers(town())

    assert export_refund_transfers(town()) is None
    assert SepaFile.objects.count() == 1


def test_schema_03_is_selectable(refund):
    result = export_refund_transfers(town(), schema="pain.001.001.03")

    assert b"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" in result.xml


def test_refund_command(refund, tmp_path, capsys):
    out = tmp_path / "erstattungen.xml"

    call_command("export_refund_transfers", "--out", str(out))

    assert etree.fromstring(out.read_bytes()).findall(".//p:CdtTrfTxInf", NS)
    assert "1 refund transfers, 300 cents" in capsys.readouterr().out
