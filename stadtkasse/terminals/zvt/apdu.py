"""ZVT APDUs: two control bytes (class, instruction), a length, the data.

The length is one byte for up to 254 data bytes. For more, the length byte is 0xFF and two
bytes follow with the length, least significant byte first.
"""

from dataclasses import dataclass

EXTENDED_LENGTH = 0xFF
MAX_DATA_LENGTH = 0xFFFF


class ProtocolError(Exception):
    """The bytes received do not form a valid ZVT message."""


@dataclass(frozen=True)
class Apdu:
    """One ZVT message: control field (class and instruction byte) and data."""

    cls: int
    ins: int
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return (self.cls, self.ins)

    def encode(self) -> bytes:
        return bytes((self.cls, self.ins)) + encode_length(len(self.data)) + self.data

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.ins:02X} ({len(self.data)} bytes)"


def encode_length(length: int) -> bytes:
    if length < 0 or length > MAX_DATA_LENGTH:
        raise ValueError(f"APDU data length {length} is outside 0..{MAX_DATA_LENGTH}")
    if length < EXTENDED_LENGTH:
        return bytes((length,))
    return bytes((EXTENDED_LENGTH,)) + length.to_bytes(2, "little")


def header_length(frame: bytes) -> int:
    """Return the size of control field plus length field (3 or 5 bytes)."""
    if len(frame) < 3:
        raise ProtocolError(f"APDU too short: {frame.hex(' ')}")
    return 5 if frame[2] == EXTENDED_LENGTH else 3


def data_length(header: bytes) -> int:
    """Return the data length announced by a complete header (3 or 5 bytes)."""
    if header[2] != EXTENDED_LENGTH:
        return header[2]
    if len(header) < 5:
        raise ProtocolError(f"APDU header with extended length too short: {header.hex(' ')}")
    return int.from_bytes(header[3:5], "little")


def decode(frame: bytes) -> Apdu:
    """Decode exactly one APDU; raise ProtocolError when the length does not match."""
    size = header_length(frame)
    length = data_length(frame[:size])
    data = frame[size:]
    if len(data) != length:
        raise ProtocolError(
            f"APDU {frame[0]:02X} {frame[1]:02X} announces {length} data bytes "
            f"but carries {len(data)}"
        )
    return Apdu(frame[0], frame[1], bytes(data))


def ack() -> Apdu:
    """Build the positive acknowledgement 80 00 00."""
    return Apdu(0x80, 0x00)


def nack(error_code: int) -> Apdu:
    """Build a negative acknowledgement 84 xx 00, where xx is the error code."""
    return Apdu(0x84, error_code)


def is_ack(apdu: Apdu) -> bool:
    return apdu.cls == 0x80 and apdu.ins == 0x00


def is_nack(apdu: Apdu) -> bool:
    return apdu.cls == 0x84
