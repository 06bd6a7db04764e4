import shutil
import subprocess

import pytest
import segno.helpers

from stadtkasse.sepa.girocode import (
    EPC_MAX_BYTES,
    TransferData,
    epc_amount,
    epc_payload,
    girocode_png,
    make_girocode,
)

TOWN = TransferData(
    name="Stadtkasse Musterstadt",
    iban="DE02 1203 0000 0000 2020 51",
    bic="BYLADEM1001",
    amount_cents=800,
    text="510000000013",
)


def fields_of(payload: bytes) -> list[str]:
    return payload.decode("utf-8").split("\n")


def test_payload_fields_follow_epc069_12():
    fields = fields_of(epc_payload(TOWN))

    assert fields == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BYLADEM1001",
        "Stadtkasse Musterstadt",
        "DE02120300000000202051",
        "EUR8.00",
        "",
        "",
        "510000000013",
    ]


def test_payload_matches_segno_epc_helper():
    helper = segno.helpers._make_epc_qr_data(
        "Stadtkasse Musterstadt",
        "DE02120300000000202051",
        "8.00",
        text="510000000013",
        bic="BYLADEM1001",
        encoding="utf-8",
    )

    # segno writes the amount without trailing zeros (EUR8); both forms are valid.
    assert fields_of(helper)[:7] == fields_of(epc_payload(TOWN))[:7]
    assert fields_of(helper)[8:] == fields_of(epc_payload(TOWN))[8:]


@pytest.mark.parametrize(
    ("cents", "expected"),
    [(1, "EUR0.01"), (800, "EUR8.00"), (123456, "EUR1234.56"), (99_999_999_999, "EUR999999999.99")],
)
def test_amount_format(cents, expected):
    assert epc_amount(cents) == expected


def test_amount_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="0.01 to 999999999.99 EUR, got 0 cents"):
        epc_amount(0)


def test_long_umlaut_name_and_text_fit_331_bytes():
    data = TransferData(
        name="Ä" * 90,
        iban="DE02120300000000202051",
        bic="BYLADEM1001",
        amount_cents=99_999_999_999,
        text="510000000013 " + "Ü" * 200,
    )

    payload = epc_payload(data)
    fields = fields_of(payload)

    assert len(payload) <= EPC_MAX_BYTES
    assert len(fields[5]) <= 70
    assert fields[6] == "DE02120300000000202051"
    assert fields[10].startswith("510000000013 ")
    assert len(fields[10]) <= 140


def test_name_is_cut_to_70_characters():
    data = TransferData("N" * 80, "DE02120300000000202051", "BYLADEM1001", 100, "1")

    assert fields_of(epc_payload(data))[5] == "N" * 70


def test_text_is_cut_to_140_characters():
    data = TransferData("Stadt", "DE02120300000000202051", "BYLADEM1001", 100, "7" * 150)

    assert fields_of(epc_payload(data))[10] == "7" * 140


def test_line_breaks_cannot_shift_fields():
    data = TransferData(
        "Stadt\nMuster\tstadt", "DE02120300000000202051", "BYLADEM1001", 100, "51\r\n0001"
    )

    fields = fields_of(epc_payload(data))

    assert len(fields) == 11
    assert fields[5] == "Stadt Muster stadt"
    assert fields[10] == "51 0001"


def test_umlauts_are_utf8():
    data = TransferData("Gemeindekasse Bärstadt", "DE02120300000000202051", "", 100, "Gebühr")

    payload = epc_payload(data)

    assert "Gemeindekasse Bärstadt".encode() in payload
    assert fields_of(payload)[2] == "1"


def test_qr_uses_error_correction_m_and_version_13_at_most():
    qr = make_girocode(TOWN)

    assert qr.error == "M"
    assert qr.version <= 13


def test_qr_of_the_longest_payload_is_version_13_at_most():
    data = TransferData(
        "Ä" * 70, "DE02120300000000202051", "BYLADEM1001", 99_999_999_999, "Ü" * 140
    )

    assert make_girocode(data).version <= 13


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
def test_png_decodes_to_the_payload(tmp_path):
    data = TransferData(
        "Stadtkasse Müsterstadt", "DE02120300000000202051", "BYLADEM1001", 800, "510000000013"
    )
    image = tmp_path / "girocode.png"
    image.write_bytes(girocode_png(data))

    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(image)],
        capture_output=True,
        check=True,
    ).stdout

    assert decoded.rstrip(b"\n") == epc_payload(data)
