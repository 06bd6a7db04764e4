"""ZVT bitmaps (BMPs): the data fields of a message, each a one-byte tag and a value.

A BMP has a fixed length, or a variable length announced by two (LLVAR) or three
(LLLVAR) bytes F0..F9, each carrying one decimal digit in its low nibble. BMP 06 is a TLV
container with a BER length. Numbers are packed BCD, two digits per byte; masked digits of
a card number are sent as the nibble E.
"""

from dataclasses import dataclass

from stadtkasse.terminals.zvt.apdu import ProtocolError

LLVAR = -2
LLLVAR = -3
TLV = -6

# Length of the value of each BMP this module decodes (tag: bytes, or LLVAR, LLLVAR, TLV).
# NOTE: published frames confirm only 04, 06, 0B-0E, 17, 19, 22, 27, 29, 2A, 3B, 3C, 49,
# 87, 88, 8A, 8B and A0. The other lengths follow the ZVT BMP table and are untested
# against a terminal.
BMP_LENGTHS = {
    0x01: 1,  # timeout in seconds
    0x02: 1,  # maximum number of status information messages
    0x03: 1,  # service byte
    0x04: 6,  # amount in cents, BCD
    0x05: 1,  # pump number
    0x06: TLV,  # TLV container
    0x0B: 3,  # trace number, BCD
    0x0C: 3,  # time HHMMSS, BCD
    0x0D: 2,  # date MMDD, BCD
    0x0E: 2,  # expiry date YYMM, BCD
    0x17: 2,  # card sequence number, BCD
    0x19: 1,  # payment type (in 06 01) or status byte (in 06 0F)
    0x22: LLVAR,  # PAN or EF_ID, BCD with E for masked digits
    0x23: LLVAR,  # track 2 data
    0x24: LLLVAR,  # track 3 data
    0x27: 1,  # result code
    0x29: 4,  # terminal ID, BCD
    0x2A: 15,  # VU number (merchant number), ASCII
    0x2D: LLVAR,  # track 1 data
    0x2E: LLLVAR,  # synchronous chip data
    0x37: 3,  # trace number of the original transaction, BCD
    0x3A: 2,  # CVV/CVC
    0x3B: 8,  # AID (authorisation attribute), ASCII
    0x3C: LLLVAR,  # additional text
    0x3D: 3,  # password, BCD
    0x49: 2,  # currency code, BCD
    0x60: LLLVAR,  # individual totals (end-of-day)
    0x87: 2,  # receipt number, BCD
    0x88: 3,  # turnover record number, BCD
    0x8A: 1,  # card type (ZVT card type ID)
    0x8B: LLVAR,  # card name, ASCII, may end with 00
    0x8C: 1,  # card type ID of the network operator
    0x92: LLLVAR,  # additional data for ec-Cash with chip
    0x9A: LLLVAR,  # Geldkarte payment record
    0xA0: 1,  # result code of the authorisation system
    0xA7: LLVAR,  # chip data, EF_ID
    0xAF: LLLVAR,  # EF_Info
    0xBA: 5,  # AID parameter
    0xD0: 1,  # algorithm key
    0xD1: LLVAR,  # card offset / PIN data
    0xD2: 1,  # direct debit
    0xD3: 1,  # number of the cashier
}


@dataclass(frozen=True)
class Field:
    tag: int
    value: bytes


# ---- BCD ----------------------------------------------------------------------------------


def encode_bcd(number: int, size: int) -> bytes:
    """Encode a non-negative integer as packed BCD of ``size`` bytes, zero-padded left."""
    if number < 0:
        raise ValueError(f"BCD cannot encode the negative number {number}")
    digits = str(number)
    if len(digits) > size * 2:
        raise ValueError(f"{number} needs more than {size} BCD bytes")
    return bytes.fromhex(digits.zfill(size * 2))


def decode_bcd_digits(value: bytes) -> str:
    """Return the nibbles of BCD bytes as text; E (masked digit) becomes '*', F is dropped."""
    text = []
    for nibble in value.hex().upper():
        if nibble.isdigit():
            text.append(nibble)
        elif nibble == "E":
            text.append("*")
        elif nibble == "F":
            continue
        else:
            raise ProtocolError(f"invalid BCD nibble {nibble} in {value.hex(' ')}")
    return "".join(text)


def decode_bcd(value: bytes) -> int:
    digits = decode_bcd_digits(value)
    if not digits.isdigit():
        raise ProtocolError(f"BCD number expected, got {value.hex(' ')}")
    return int(digits)


def encode_amount(cents: int) -> bytes:
    """Encode an amount in cents as the six BCD bytes of BMP 04."""
    return encode_bcd(cents, 6)


# ---- LLVAR and LLLVAR lengths -------------------------------------------------------------


def encode_var_length(length: int, digits: int) -> bytes:
    """Encode a length as ``digits`` bytes F0..F9 (2 for LLVAR, 3 for LLLVAR)."""
    if length < 0 or length >= 10**digits:
        raise ValueError(f"length {length} does not fit into {digits} digits")
    return bytes(0xF0 | int(digit) for digit in str(length).zfill(digits))


def decode_var_length(prefix: bytes) -> int:
    length = 0
    for byte in prefix:
        if byte & 0xF0 != 0xF0 or byte & 0x0F > 9:
            raise ProtocolError(f"invalid LLVAR/LLLVAR length byte {byte:02X}")
        length = length * 10 + (byte & 0x0F)
    return length


# ---- BER length of the TLV container (shared with tlv.py) ---------------------------------


def encode_ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length <= 0xFF:
        return bytes((0x81, length))
    if length <= 0xFFFF:
        return bytes((0x82,)) + length.to_bytes(2, "big")
    raise ValueError(f"TLV length {length} is too large")


def decode_ber_length(data: bytes, offset: int) -> tuple[int, int]:
    """Return (length, offset after the length field)."""
    if offset >= len(data):
        raise ProtocolError("TLV length missing")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count not in (1, 2) or offset + 1 + count > len(data):
        raise ProtocolError(f"invalid TLV length field at byte {offset}: {first:02X}")
    return int.from_bytes(data[offset + 1 : offset + 1 + count], "big"), offset + 1 + count


# ---- BMP lists ----------------------------------------------------------------------------


def encode_field(tag: int, value: bytes) -> bytes:
    """Encode one BMP with the length form its tag needs."""
    kind = BMP_LENGTHS.get(tag)
    if kind is None:
        raise ValueError(f"unknown BMP {tag:02X}")
    if kind == LLVAR:
        return bytes((tag,)) + encode_var_length(len(value), 2) + value
    if kind == LLLVAR:
        return bytes((tag,)) + encode_var_length(len(value), 3) + value
    if kind == TLV:
        return bytes((tag,)) + encode_ber_length(len(value)) + value
    if len(value) != kind:
        raise ValueError(f"BMP {tag:02X} needs {kind} bytes, got {len(value)}")
    return bytes((tag,)) + value


def decode_fields(data: bytes) -> list[Field]:
    """Split data into BMPs; raise ProtocolError for an unknown tag or a short value.

    NOTE: an unknown tag stops the parse, because its length cannot be known. Terminals
    that send BMPs outside BMP_LENGTHS need the table extended.
    """
    fields = []
    offset = 0
    while offset < len(data):
        tag = data[offset]
        kind = BMP_LENGTHS.get(tag)
        if kind is None:
            raise ProtocolError(f"unknown BMP {tag:02X} at byte {offset} of {data.hex(' ')}")
        offset += 1
        if kind in (LLVAR, LLLVAR):
            digits = -kind
            length = decode_var_length(data[offset : offset + digits])
            offset += digits
        elif kind == TLV:
            length, offset = decode_ber_length(data, offset)
        else:
            length = kind
        if offset + length > len(data):
            raise ProtocolError(f"BMP {tag:02X} announces {length} bytes; the message ends early")
        fields.append(Field(tag, data[offset : offset + length]))
        offset += length
    return fields
