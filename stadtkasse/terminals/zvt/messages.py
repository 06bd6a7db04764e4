"""Commands the cash register sends and the messages the terminal sends back.

Builders return Apdu objects. Parsers take the Apdu the terminal sent and return plain
dataclasses; they raise ProtocolError for data that cannot be read.
"""

from dataclasses import dataclass, field

from stadtkasse.terminals.zvt import tlv
from stadtkasse.terminals.zvt.apdu import Apdu, ProtocolError
from stadtkasse.terminals.zvt.bmp import (
    Field,
    decode_bcd,
    decode_bcd_digits,
    decode_fields,
    encode_amount,
    encode_bcd,
    encode_field,
)

# NOTE: code page 437 is the ZVT default character set, but some terminals send ISO 8859-1
# (Portalum.Zvt's published print lines carry 0xC4 for "Ä"). This module decodes cp437.
TEXT_ENCODING = "cp437"
EUR = 978

# Commands (class, instruction)
REGISTRATION = (0x06, 0x00)
AUTHORIZATION = (0x06, 0x01)
LOG_OFF = (0x06, 0x02)
STATUS_ENQUIRY = (0x05, 0x01)
REPEAT_RECEIPT = (0x06, 0x20)
REVERSAL = (0x06, 0x30)
REFUND = (0x06, 0x31)
END_OF_DAY = (0x06, 0x50)
ABORT = (0x06, 0xB0)
# Messages from the terminal
INTERMEDIATE_STATUS = (0x04, 0xFF)
STATUS_INFORMATION = (0x04, 0x0F)
PRINT_LINE = (0x06, 0xD1)
PRINT_TEXT_BLOCK = (0x06, 0xD3)
COMPLETION = (0x06, 0x0F)
ABORT_FROM_TERMINAL = (0x06, 0x1E)

# Bits of the registration config byte.
# NOTE: taken from descriptions of the ZVT registration, not checked against a terminal.
CONFIG_ECR_PRINTS_PAYMENT_RECEIPT = 0x02
CONFIG_ECR_PRINTS_ADMIN_RECEIPT = 0x04
CONFIG_SEND_INTERMEDIATE_STATUS = 0x08
CONFIG_ECR_CONTROLS_PAYMENT = 0x10
# The till stores the receipts, wants the intermediate status for the cashier's screen,
# and the amount can only come from the till.
DEFAULT_CONFIG = (
    CONFIG_ECR_PRINTS_PAYMENT_RECEIPT
    | CONFIG_ECR_PRINTS_ADMIN_RECEIPT
    | CONFIG_SEND_INTERMEDIATE_STATUS
    | CONFIG_ECR_CONTROLS_PAYMENT
)


def encode_password(password: str) -> bytes:
    """Encode the six-digit terminal password as three BCD bytes."""
    if len(password) != 6 or not password.isdigit():
        raise ValueError("the ZVT password must be six digits")
    return bytes.fromhex(password)


def _apdu(command: tuple[int, int], data: bytes = b"") -> Apdu:
    return Apdu(command[0], command[1], data)


def registration(password: str, config: int = DEFAULT_CONFIG, currency: int = EUR) -> Apdu:
    """06 00: password, config byte, currency code."""
    return _apdu(
        REGISTRATION, encode_password(password) + bytes((config,)) + encode_bcd(currency, 2)
    )


def authorization(amount_cents: int, *, currency: int | None = None) -> Apdu:
    """06 01: BMP 04 amount, optional BMP 49 currency (else the one of the registration)."""
    if amount_cents <= 0:
        raise ValueError(f"an authorization needs a positive amount, not {amount_cents}")
    data = encode_field(0x04, encode_amount(amount_cents))
    if currency is not None:
        data += encode_field(0x49, encode_bcd(currency, 2))
    return _apdu(AUTHORIZATION, data)


def reversal(password: str, receipt_number: int) -> Apdu:
    """06 30: password, BMP 87 receipt number of the payment to reverse."""
    return _apdu(
        REVERSAL, encode_password(password) + encode_field(0x87, encode_bcd(receipt_number, 2))
    )


def refund(password: str, amount_cents: int) -> Apdu:
    """06 31: password, BMP 04 amount."""
    if amount_cents <= 0:
        raise ValueError(f"a refund needs a positive amount, not {amount_cents}")
    return _apdu(
        REFUND, encode_password(password) + encode_field(0x04, encode_amount(amount_cents))
    )


def end_of_day(password: str) -> Apdu:
    return _apdu(END_OF_DAY, encode_password(password))


def status_enquiry(password: str) -> Apdu:
    return _apdu(STATUS_ENQUIRY, encode_password(password))


def repeat_receipt(password: str) -> Apdu:
    return _apdu(REPEAT_RECEIPT, encode_password(password))


def log_off() -> Apdu:
    return _apdu(LOG_OFF)


def abort() -> Apdu:
    return _apdu(ABORT)


# ---- Messages from the terminal ------------------------------------------------------------


@dataclass
class StatusInformation:
    """The result of a transaction as the terminal reports it in 04 0F."""

    result_code: int | None = None
    amount_cents: int | None = None
    trace_number: int | None = None
    original_trace_number: int | None = None
    receipt_number: int | None = None
    turnover_record_number: int | None = None
    terminal_id: str = ""
    vu_number: str = ""
    time: str = ""
    date: str = ""
    expiry: str = ""
    card_number: str = ""
    card_sequence_number: int | None = None
    card_name: str = ""
    card_type: int | None = None
    aid: str = ""
    currency: int | None = None
    additional_text: str = ""
    display_texts: list[str] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.result_code == 0


@dataclass
class IntermediateStatus:
    """An intermediate status (04 FF): a status code, maybe a timeout and display texts."""

    code: int
    timeout_seconds: int | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class PrintLine:
    attribute: int
    text: str

    @property
    def last(self) -> bool:
        """True for the last line of a receipt (attribute bit 0x80)."""
        return bool(self.attribute & 0x80)


@dataclass
class Completion:
    """The end of a command: 06 0F (done) or 06 1E (aborted, with a result code)."""

    aborted: bool
    result_code: int | None = None
    status_byte: int | None = None
    terminal_id: str = ""


def _text(value: bytes) -> str:
    return value.rstrip(b"\x00").decode(TEXT_ENCODING, errors="replace").strip()


def parse_status_information(apdu: Apdu) -> StatusInformation:
    info = StatusInformation()
    for item in decode_fields(apdu.data):
        _apply_status_field(info, item)
    return info


def _apply_status_field(info: StatusInformation, item: Field) -> None:
    tag, value = item.tag, item.value
    if tag == 0x27:
        info.result_code = value[0]
    elif tag == 0x04:
        info.amount_cents = decode_bcd(value)
    elif tag == 0x0B:
        info.trace_number = decode_bcd(value)
    elif tag == 0x37:
        info.original_trace_number = decode_bcd(value)
    elif tag == 0x87:
        info.receipt_number = decode_bcd(value)
    elif tag == 0x88:
        info.turnover_record_number = decode_bcd(value)
    elif tag == 0x29:
        info.terminal_id = decode_bcd_digits(value)
    elif tag == 0x2A:
        info.vu_number = _text(value)
    elif tag == 0x0C:
        digits = decode_bcd_digits(value)
        info.time = f"{digits[0:2]}:{digits[2:4]}:{digits[4:6]}"
    elif tag == 0x0D:
        digits = decode_bcd_digits(value)
        info.date = f"{digits[2:4]}.{digits[0:2]}."
    elif tag == 0x0E:
        digits = decode_bcd_digits(value)
        info.expiry = f"{digits[2:4]}/{digits[0:2]}"
    elif tag == 0x22:
        info.card_number = decode_bcd_digits(value)
    elif tag == 0x17:
        info.card_sequence_number = decode_bcd(value)
    elif tag == 0x8B:
        info.card_name = _text(value)
    elif tag == 0x8A:
        info.card_type = value[0]
    elif tag == 0x3B:
        info.aid = _text(value)
    elif tag == 0x49:
        info.currency = decode_bcd(value)
    elif tag == 0x3C:
        info.additional_text = _text(value)
    elif tag == 0x06:
        objects = tlv.decode(value)
        info.display_texts = tlv.text_lines(
            tlv.find_all(objects, tlv.TAG_DISPLAY_TEXTS), TEXT_ENCODING
        )


def parse_intermediate_status(apdu: Apdu) -> IntermediateStatus:
    """Read 04 FF: status code, then an optional timeout byte and an optional TLV container."""
    if not apdu.data:
        raise ProtocolError("intermediate status without a status code")
    status = IntermediateStatus(code=apdu.data[0])
    rest = apdu.data[1:]
    if rest and rest[0] != 0x06:
        status.timeout_seconds = rest[0]
        rest = rest[1:]
    for item in decode_fields(rest):
        if item.tag == 0x06:
            status.texts = tlv.text_lines(tlv.decode(item.value), TEXT_ENCODING)
    return status


def parse_print_line(apdu: Apdu) -> PrintLine:
    """Read 06 D1: an attribute byte, the text, optionally followed by a TLV container."""
    if not apdu.data:
        raise ProtocolError("print line without an attribute byte")
    text = apdu.data[1:]
    # A TLV container (06 len ...) may follow the text; it carries the receipt type. The
    # text itself is printable, so its first byte 06 starts the container.
    marker = text.find(b"\x06")
    if marker >= 0 and marker + 2 <= len(text) and marker + 2 + text[marker + 1] == len(text):
        text = text[:marker]
    return PrintLine(attribute=apdu.data[0], text=text.decode(TEXT_ENCODING, errors="replace"))


def parse_print_text_block(apdu: Apdu) -> list[str]:
    """Read 06 D3: a TLV container whose print texts (25) hold text lines (07)."""
    lines = []
    for item in decode_fields(apdu.data):
        if item.tag == 0x06:
            objects = tlv.decode(item.value)
            lines.extend(tlv.text_lines(tlv.find_all(objects, tlv.TAG_PRINT_TEXTS), TEXT_ENCODING))
    return lines


def parse_completion(apdu: Apdu) -> Completion:
    """Read 06 0F (with optional BMPs) or 06 1E (result code, then optional BMPs)."""
    if apdu.command == ABORT_FROM_TERMINAL:
        code = apdu.data[0] if apdu.data else None
        return Completion(aborted=True, result_code=code)
    if apdu.command != COMPLETION:
        raise ProtocolError(f"completion expected, got {apdu}")
    completion = Completion(aborted=False)
    for item in decode_fields(apdu.data):
        if item.tag == 0x27:
            completion.result_code = item.value[0]
        elif item.tag == 0x19:
            completion.status_byte = item.value[0]
        elif item.tag == 0x29:
            completion.terminal_id = decode_bcd_digits(item.value)
    return completion


# ---- Builders for the terminal side (used by the simulator) ---------------------------------


def status_information_apdu(info: StatusInformation) -> Apdu:
    """Encode a StatusInformation as 04 0F with the BMPs that are set."""
    data = b""
    if info.result_code is not None:
        data += encode_field(0x27, bytes((info.result_code,)))
    if info.amount_cents is not None:
        data += encode_field(0x04, encode_amount(info.amount_cents))
    if info.trace_number is not None:
        data += encode_field(0x0B, encode_bcd(info.trace_number, 3))
    if info.time:
        data += encode_field(0x0C, bytes.fromhex(info.time.replace(":", "")))
    if info.date:
        day, month = info.date.rstrip(".").split(".")
        data += encode_field(0x0D, bytes.fromhex(month + day))
    if info.card_number:
        digits = info.card_number.replace("*", "E")
        if len(digits) % 2:
            digits += "F"
        data += encode_field(0x22, bytes.fromhex(digits))
    if info.terminal_id:
        data += encode_field(0x29, bytes.fromhex(info.terminal_id.zfill(8)))
    if info.additional_text:
        data += encode_field(0x3C, info.additional_text.encode(TEXT_ENCODING))
    if info.currency is not None:
        data += encode_field(0x49, encode_bcd(info.currency, 2))
    if info.receipt_number is not None:
        data += encode_field(0x87, encode_bcd(info.receipt_number, 2))
    if info.card_type is not None:
        data += encode_field(0x8A, bytes((info.card_type,)))
    if info.card_name:
        data += encode_field(0x8B, info.card_name.encode(TEXT_ENCODING) + b"\x00")
    return _apdu(STATUS_INFORMATION, data)


def intermediate_status_apdu(code: int, timeout_seconds: int | None = None) -> Apdu:
    data = bytes((code,))
    if timeout_seconds is not None:
        data += bytes((timeout_seconds,))
    return _apdu(INTERMEDIATE_STATUS, data)


def print_line_apdu(text: str, *, last: bool = False) -> Apdu:
    return _apdu(PRINT_LINE, bytes((0x80 if last else 0x00,)) + text.encode(TEXT_ENCODING))


def completion_apdu(terminal_id: str = "") -> Apdu:
    data = b""
    if terminal_id:
        data = encode_field(0x19, b"\x00") + encode_field(0x29, bytes.fromhex(terminal_id.zfill(8)))
    return _apdu(COMPLETION, data)


def abort_apdu(result_code: int) -> Apdu:
    return _apdu(ABORT_FROM_TERMINAL, bytes((result_code,)))
