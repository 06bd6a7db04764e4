"""Checks and normal forms of IBAN, BIC, creditor identifier, names and references.

IBAN and BIC checks use schwifty. The creditor identifier (Gläubiger-ID) has the form
country code, two check digits, a three-character business code and the national
identifier. Its check digits are ISO 7064 MOD 97-10, computed like an IBAN's over the
national identifier followed by the country code, with the business code left out.
"""

import re
import unicodedata

import pycountry
from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

from stadtkasse.sepa.errors import SepaError

# EPC QR code limits (EPC069-12 version 002): beneficiary name 70, remittance text 140
# characters, and the whole payload 331 bytes.
EPC_NAME_MAX = 70
EPC_TEXT_MAX = 140
# Characters a mandate reference or end-to-end id may contain (SEPA Latin set without
# the space), at most 35.
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9+?/:().,'\-]{1,35}$")
CREDITOR_ID_PATTERN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")
MANDATE_PREFIX_PATTERN = re.compile(r"^[A-Z0-9]{1,8}$")
# Lengths of StrtNm, PstCd and TwnNm in the postal address of pain.008.001.08 and .02.
STREET_MAX = 70
POSTCODE_MAX = 16
TOWN_MAX = 35
# Countries in the SEPA schemes that are outside the European Economic Area. A direct
# debit must carry the payer's address, at least town and country, when the payer's bank
# is in one of them. The IBAN's country code stands for the bank's country. Jersey,
# Guernsey and the Isle of Man mostly use GB IBANs.
# NOTE: the rule (EPC SDD Core rulebook, in force since November 2023) and this list were
# written from memory, not checked against the rulebook's text.
NON_EEA_SEPA_COUNTRIES = frozenset(
    {
        "AD",  # Andorra
        "CH",  # Switzerland
        "GB",  # United Kingdom
        "GG",  # Guernsey
        "GI",  # Gibraltar
        "IM",  # Isle of Man
        "JE",  # Jersey
        "MC",  # Monaco
        "SM",  # San Marino
        "VA",  # Vatican City
    }
)

_IBAN_ERRORS = {
    schwifty_errors.InvalidChecksumDigits: "invalid_iban_checksum",
    schwifty_errors.InvalidLength: "invalid_iban_length",
    schwifty_errors.InvalidCountryCode: "invalid_iban_country",
}


def compact(value: str) -> str:
    """Remove spaces and dashes and make letters upper case.

    Banks print IBANs and BICs in groups of four, and payers copy them with spaces or
    dashes between the groups. Neither is ever part of an IBAN, a BIC or a creditor ID.
    """
    return re.sub(r"[\s-]+", "", value or "").upper()


def format_iban(value: str) -> str:
    """Return an IBAN in groups of four characters, as it is printed."""
    value = compact(value)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def check_iban(value: str, *, sepa_only: bool = True) -> IBAN:
    """Return the IBAN parsed by schwifty; raise SepaError naming the value otherwise."""
    shown = (value or "").strip()
    if not shown:
        raise SepaError("missing_iban")
    try:
        iban = IBAN(compact(shown))
    except schwifty_errors.SchwiftyException as error:
        raise SepaError(_IBAN_ERRORS.get(type(error), "invalid_iban"), value=shown) from None
    if sepa_only and not iban.in_sepa_zone:
        raise SepaError("iban_not_sepa", value=shown)
    return iban


def bic_for_iban(iban: IBAN) -> str:
    """Return the BIC that schwifty's bank registry lists for the IBAN, or an empty string."""
    try:
        bic = iban.bic
    except schwifty_errors.SchwiftyException:
        return ""
    return str(bic) if bic else ""


def check_bic(value: str) -> str:
    shown = (value or "").strip()
    try:
        return str(BIC(compact(shown)))
    except schwifty_errors.SchwiftyException:
        raise SepaError("invalid_bic", value=shown) from None


def check_creditor_id(value: str) -> str:
    shown = (value or "").strip()
    creditor_id = compact(shown)
    if not CREDITOR_ID_PATTERN.match(creditor_id) or len(creditor_id) > 35:
        raise SepaError("invalid_creditor_id", value=shown)
    rearranged = creditor_id[7:] + creditor_id[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    if int(number) % 97 != 1:
        raise SepaError("invalid_creditor_id", value=shown)
    return creditor_id


def clean_text(value: str) -> str:
    """Return text in NFC with control characters and line breaks turned into single spaces.

    A line break inside a field would shift every later field of an EPC QR payload.
    """
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(text.split())


def check_account_holder(value: str) -> str:
    value = value or ""
    name = clean_text(value)
    if not name:
        raise SepaError("missing_account_holder")
    has_control = any(unicodedata.category(char).startswith("C") for char in value.strip())
    if len(name) > EPC_NAME_MAX or has_control:
        raise SepaError("invalid_account_holder", value=clean_text(value)[:80])
    return name


def address_required(iban: IBAN) -> bool:
    """Return whether a direct debit from this account must carry the payer's address."""
    return iban.country_code in NON_EEA_SEPA_COUNTRIES


def check_address_part(value: str, max_length: int) -> str:
    """Return one part of a postal address as a single line, or raise SepaError if too long."""
    text = clean_text(value)
    if len(text) > max_length:
        raise SepaError("address_part_too_long", value=text[:80], max=max_length)
    return text


def check_country(value: str) -> str:
    """Return the ISO 3166 two-letter country code in capitals, or raise SepaError if unknown."""
    typed = clean_text(value)
    code = typed.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise SepaError("invalid_country", value=typed[:80])
    return code


def _raise_validation_error(check, value: str) -> None:
    try:
        check(value)
    except SepaError as error:
        raise ValidationError(error.message, code=error.code) from None


def _check_mandate_prefix(value: str) -> str:
    if not MANDATE_PREFIX_PATTERN.match(value or ""):
        raise SepaError("invalid_mandate_prefix", value=value)
    return value


# Model field validators with the same German messages as the checks above. They are
# module-level functions because migrations refer to them by name.


def validate_iban(value: str) -> None:
    _raise_validation_error(check_iban, value)


def validate_bic(value: str) -> None:
    _raise_validation_error(check_bic, value)


def validate_creditor_id(value: str) -> None:
    _raise_validation_error(check_creditor_id, value)


def validate_epc_name(value: str) -> None:
    _raise_validation_error(check_account_holder, value)


def validate_mandate_prefix(value: str) -> None:
    _raise_validation_error(_check_mandate_prefix, value)
