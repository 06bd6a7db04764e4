"""Byte-level tests of the ZVT codecs against frames published by Portalum.Zvt.

The frames and the test each one comes from are in data/published_frames.json.
"""

import json
from pathlib import Path

import pytest

from stadtkasse.terminals.zvt import apdu, bmp, messages, tlv
from stadtkasse.terminals.zvt.apdu import Apdu, ProtocolError

FRAMES = json.loads((Path(__file__).parent / "data" / "published_frames.json").read_text())


def frame(name: str) -> bytes:
    return bytes.fromhex(FRAMES[name]["hex"])


# ---- APDU and length encodings ------------------------------------------------------------


def test_authorization_matches_published_frame():
    assert messages.authorization(1000).encode() == frame("authorization_10_euro")


def test_authorization_with_currency():
    encoded = messages.authorization(1234, currency=978).encode()
    assert encoded == bytes.fromhex("06 01 0A 04 00 00 00 00 12 34 49 09 78")


def test_authorization_rejects_zero_amount():
    with pytest.raises(ValueError):
        messages.authorization(0)


def test_decode_roundtrip_of_published_status():
    decoded = apdu.decode(frame("status_payment_good"))
    assert decoded.command == (0x04, 0x0F)
    assert decoded.encode() == frame("status_payment_good")


def test_extended_length_header():
    header = frame("extended_length")
    assert apdu.header_length(header) == 5
    assert apdu.data_length(header) == 256


def test_extended_length_encoding_is_little_endian():
    encoded = Apdu(0x06, 0xD3, bytes(300)).encode()
    assert encoded[:5] == bytes.fromhex("06 D3 FF 2C 01")


def test_length_254_still_uses_one_byte():
    assert Apdu(0x06, 0xD3, bytes(254)).encode()[:3] == bytes.fromhex("06 D3 FE")


def test_length_255_uses_extended_form():
    assert Apdu(0x06, 0xD3, bytes(255)).encode()[:5] == bytes.fromhex("06 D3 FF FF 00")


def test_decode_rejects_wrong_length():
    with pytest.raises(ProtocolError):
        apdu.decode(bytes.fromhex("04 0F 06 00 01 02 03"))


def test_acknowledgements():
    assert apdu.ack().encode() == bytes.fromhex("80 00 00")
    assert apdu.nack(0x9C).encode() == bytes.fromhex("84 9C 00")


# ---- Commands ----------------------------------------------------------------------------


def test_registration_frame():
    encoded = messages.registration("000000").encode()
    assert encoded == bytes.fromhex("06 00 06 00 00 00 1E 09 78")


def test_reversal_frame():
    assert messages.reversal("123456", 42).encode() == bytes.fromhex("06 30 06 12 34 56 87 00 42")


def test_refund_frame():
    encoded = messages.refund("000000", 550).encode()
    assert encoded == bytes.fromhex("06 31 0A 00 00 00 04 00 00 00 00 05 50")


def test_end_of_day_status_enquiry_repeat_receipt_frames():
    assert messages.end_of_day("000000").encode() == bytes.fromhex("06 50 03 00 00 00")
    assert messages.status_enquiry("000000").encode() == bytes.fromhex("05 01 03 00 00 00")
    assert messages.repeat_receipt("000000").encode() == bytes.fromhex("06 20 03 00 00 00")


def test_abort_and_log_off_frames():
    assert messages.abort().encode() == bytes.fromhex("06 B0 00")
    assert messages.log_off().encode() == bytes.fromhex("06 02 00")


def test_password_must_be_six_digits():
    with pytest.raises(ValueError):
        messages.registration("12345")


# ---- BCD and variable lengths --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "encoded"),
    [(1, "00 00 00 00 00 01"), (2040, "00 00 00 00 20 40"), (999999999999, "99 99 99 99 99 99")],
)
def test_amount_bcd(cents, encoded):
    assert bmp.encode_amount(cents) == bytes.fromhex(encoded)
    assert bmp.decode_bcd(bytes.fromhex(encoded)) == cents


def test_amount_too_large_for_six_bytes():
    with pytest.raises(ValueError):
        bmp.encode_amount(10**12)


def test_llvar_and_lllvar_lengths():
    assert bmp.encode_var_length(17, 2) == bytes.fromhex("F1 F7")
    assert bmp.encode_var_length(14, 3) == bytes.fromhex("F0 F1 F4")
    assert bmp.decode_var_length(bytes.fromhex("F1 F7")) == 17


def test_invalid_llvar_byte():
    with pytest.raises(ProtocolError):
        bmp.decode_var_length(bytes.fromhex("F1 A7"))


def test_masked_pan_digits():
    assert bmp.decode_bcd_digits(bytes.fromhex("EE EE EE EE EE EE 47 71")) == "************4771"


def test_unknown_bmp_stops_parse():
    with pytest.raises(ProtocolError):
        bmp.decode_fields(bytes.fromhex("FE 01"))


# ---- Messages from the terminal --------------------------------------------------------------


def test_published_approved_status():
    info = messages.parse_status_information(apdu.decode(frame("status_payment_good")))
    assert info.result_code == 0
    assert info.amount_cents == 2040
    assert info.trace_number == 470
    assert info.receipt_number == 470
    assert info.turnover_record_number == 470
    assert info.time == "22:39:53"
    assert info.date == "06.10."
    assert info.expiry == "12/25"
    assert info.card_number == "************4771"
    assert info.terminal_id == "28004869"
    assert info.vu_number == "100461763"
    assert info.additional_text == "GEN.NR.:611804"
    assert info.currency == 978
    assert info.card_type == 0x2E
    assert info.card_name == "Debit Mastercard"


def test_published_abort_status():
    info = messages.parse_status_information(apdu.decode(frame("status_abort_by_customer")))
    assert info.result_code == 0x6C
    assert info.additional_text == "Abbruch durch Kunde"


def test_published_status_with_tlv_container():
    info = messages.parse_status_information(apdu.decode(frame("status_with_tlv")))
    assert info.result_code == 0
    assert info.receipt_number == 8
    assert info.card_name == "MASTERCARD"


def test_published_declined_status_with_display_text():
    info = messages.parse_status_information(apdu.decode(frame("status_declined")))
    assert info.result_code == 0x05
    assert info.additional_text == "Abgelehnt"
    assert info.display_texts == ["Abgelehnt"]


def test_published_abort_from_terminal():
    completion = messages.parse_completion(apdu.decode(frame("abort_card_not_readable")))
    assert completion.aborted
    assert completion.result_code == 0x64


def test_published_intermediate_status_with_texts():
    data = bytes.fromhex(FRAMES["intermediate_with_texts"]["data_hex"])
    status = messages.parse_intermediate_status(Apdu(0x04, 0xFF, data))
    assert status.code == 0xFF
    assert status.timeout_seconds == 0x10
    assert status.texts == ["EUR 1.23", "Bitte warten"]


def test_published_print_line():
    line = messages.parse_print_line(apdu.decode(frame("print_line")))
    assert line.text == "** KASSENSCHNITT **"
    assert line.attribute == 0x40


def test_published_print_line_drops_tlv_container():
    line = messages.parse_print_line(apdu.decode(frame("print_line_with_tlv")))
    assert line.text == "Terminal-ID:    28004869"


def test_published_last_print_line():
    line = messages.parse_print_line(apdu.decode(frame("print_line_last")))
    assert line.last
    assert line.text == ""


def test_print_text_block():
    texts = tlv.encode(0x07, b"Zeile 1") + tlv.encode(0x07, b"Zeile 2")
    container = tlv.encode(0x25, texts)
    block = Apdu(0x06, 0xD3, bmp.encode_field(0x06, container))
    assert messages.parse_print_text_block(block) == ["Zeile 1", "Zeile 2"]


def test_tlv_multi_byte_tag_and_long_length():
    value = bytes(200)
    encoded = tlv.encode(0x1F2B, value)
    assert encoded[:4] == bytes.fromhex("1F 2B 81 C8")
    assert tlv.decode(encoded)[0].tag == 0x1F2B


def test_status_information_roundtrip():
    info = messages.StatusInformation(
        result_code=0,
        amount_cents=550,
        trace_number=12,
        receipt_number=7,
        terminal_id="52500123",
        card_number="6805********1234",
        card_name="girocard",
        time="10:11:12",
        date="24.12.",
    )
    parsed = messages.parse_status_information(messages.status_information_apdu(info))
    assert parsed == info
