"""The BER-TLV container of BMP 06: tags of one or more bytes, BER lengths, nesting.

A tag whose first byte has bit 0x20 set is constructed and contains further TLV objects.
A first byte with the low five bits all set (x1F) continues in the next byte, and so does
every further byte with bit 0x80 set.
"""

from dataclasses import dataclass, field

from stadtkasse.terminals.zvt.apdu import ProtocolError
from stadtkasse.terminals.zvt.bmp import decode_ber_length, encode_ber_length

# TLV tags this project reads or writes.
TAG_TEXT_LINE = 0x07
TAG_DISPLAY_TEXTS = 0x24
TAG_PRINT_TEXTS = 0x25
TAG_PERMITTED_COMMANDS = 0x26
TAG_COMMAND = 0x0A
TAG_RECEIPT_TYPE = 0x1F07


@dataclass
class TlvObject:
    tag: int
    value: bytes = b""
    children: list["TlvObject"] = field(default_factory=list)

    @property
    def constructed(self) -> bool:
        return bool(first_tag_byte(self.tag) & 0x20)

    def find_all(self, tag: int) -> list["TlvObject"]:
        return find_all(self.children, tag)


def first_tag_byte(tag: int) -> int:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")[0]


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:
        while True:
            if offset >= len(data):
                raise ProtocolError("TLV tag ends early")
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
    return tag, offset


def decode(data: bytes) -> list[TlvObject]:
    """Parse a TLV container's content into objects; constructed ones get children."""
    objects = []
    offset = 0
    while offset < len(data):
        tag, offset = _read_tag(data, offset)
        length, offset = decode_ber_length(data, offset)
        if offset + length > len(data):
            raise ProtocolError(f"TLV tag {tag:X} announces {length} bytes; the data ends early")
        value = data[offset : offset + length]
        offset += length
        obj = TlvObject(tag, value)
        if obj.constructed:
            obj.children = decode(value)
        objects.append(obj)
    return objects


def encode(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + encode_ber_length(len(value)) + value


def find_all(objects: list[TlvObject], tag: int) -> list[TlvObject]:
    """Return all objects with this tag, depth first, in the order they appear."""
    found = []
    for obj in objects:
        if obj.tag == tag:
            found.append(obj)
        found.extend(find_all(obj.children, tag))
    return found


def text_lines(objects: list[TlvObject], encoding: str) -> list[str]:
    """Return the texts of all text-line tags (07) in the container."""
    return [
        obj.value.decode(encoding, errors="replace") for obj in find_all(objects, TAG_TEXT_LINE)
    ]
