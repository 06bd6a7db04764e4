"""The GiroCode: an EPC QR code (EPC069-12 version 002) for a SEPA credit transfer.

The payload is built here and encoded by segno. ``segno.helpers.make_epc_qr`` (segno
1.6) builds the same lines but picks ISO 8859-1 when the text fits it. This module always
declares UTF-8 (character set 1) and keeps the payload within the 331 bytes allowed.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

import segno

from stadtkasse.sepa.validation import EPC_NAME_MAX, EPC_TEXT_MAX, clean_text, compact

EPC_MAX_BYTES = 331
# Version 13 is the largest QR version EPC069-12 allows at error correction level M.
EPC_MAX_QR_VERSION = 13
EPC_MAX_CENTS = 99_999_999_999


@dataclass(frozen=True)
class TransferData:
    """Payee, account and amount of a credit transfer, with ``text`` as remittance information."""

    name: str
    iban: str
    bic: str
    amount_cents: int
    text: str


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")[:max_bytes]
    # Cut at a character boundary: drop a partial multi-byte sequence at the end.
    return encoded.decode("utf-8", errors="ignore").rstrip()


def epc_amount(cents: int) -> str:
    """Format an amount as EPC069-12 wants it: EUR, a point, at most two decimals."""
    if not 1 <= cents <= EPC_MAX_CENTS:
        raise ValueError(f"EPC QR amount must be 0.01 to 999999999.99 EUR, got {cents} cents")
    return f"EUR{Decimal(cents) / 100:.2f}"


def epc_payload(data: TransferData) -> bytes:
    """Return the EPC QR payload in UTF-8, at most 331 bytes.

    Names are cut to 70 and the text to 140 characters. Where umlauts make the payload
    longer than 331 bytes, the text is shortened first, then the name, so that the IBAN,
    amount and the start of the text (the Kassenzeichen) always stay.
    """
    name = clean_text(data.name)[:EPC_NAME_MAX]
    text = clean_text(data.text)[:EPC_TEXT_MAX]
    fields = [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # identification: SEPA credit transfer
        compact(data.bic),
        name,
        compact(data.iban),
        epc_amount(data.amount_cents),
        "",  # purpose code
        "",  # structured reference (RF); unused because the text carries the Kassenzeichen
        text,
    ]
    overflow = len("\n".join(fields).encode("utf-8")) - EPC_MAX_BYTES
    if overflow > 0:
        text_bytes = len(text.encode("utf-8"))
        fields[10] = _truncate_utf8(text, max(text_bytes - overflow, 0))
        overflow = len("\n".join(fields).encode("utf-8")) - EPC_MAX_BYTES
    if overflow > 0:
        fields[5] = _truncate_utf8(name, len(name.encode("utf-8")) - overflow)
    return "\n".join(fields).encode("utf-8")


def make_girocode(data: TransferData) -> segno.QRCode:
    """Return the GiroCode as a segno QR code (error correction level M, at most version 13)."""
    qr = segno.make_qr(epc_payload(data), error="m", boost_error=False, encoding="utf-8")
    if qr.version > EPC_MAX_QR_VERSION:
        raise ValueError(f"EPC QR code needs version {qr.version}, at most 13 is allowed")
    return qr


def girocode_png(data: TransferData, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    make_girocode(data).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
