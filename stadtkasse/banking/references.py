"""Find Kassenzeichen in the remittance information of a bank transfer.

Payers write a Kassenzeichen in many ways: with spaces, dots or dashes between the digits,
without the check digit, split over two remittance lines in the middle of the number, or
as an ISO 11649 creditor reference ("RF" + two check digits + the Kassenzeichen). This
module turns such text into the Kassenzeichen it may contain. Whether one of them belongs
to an order is for the caller to look up.
"""

import re
from dataclasses import dataclass
from functools import cached_property

from stadtkasse.core import kassenzeichen as kz

# A run of digit groups joined by at most two separators each: "5100 0000 011",
# "5100.0000.01-1", "51000000 01".
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]{1,2}\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_CREDITOR_REFERENCE = re.compile(r"^RF(\d{2})([0-9A-Z]{1,21})$")
# EndToEndId of our direct debits and transfers: the payment reference as 32 hex digits.
_PAYMENT_REFERENCE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Scheme:
    """How one municipality builds its Kassenzeichen."""

    prefix: str
    width: int
    method: str

    @cached_property
    def length(self) -> int:
        """Number of digits of a whole Kassenzeichen, check digit included."""
        return len(self.prefix) + self.width + 1


@dataclass(frozen=True)
class Found:
    """A Kassenzeichen read from a text, in the order the payer wrote it."""

    kassenzeichen: str
    # True where the payer left out the check digit and it was computed here.
    completed: bool = False


def is_valid_creditor_reference(reference: str) -> bool:
    """Check the ISO 11649 check digits of an RF creditor reference (mod 97 must give 1)."""
    cleaned = re.sub(r"\s", "", reference).upper()
    if not _CREDITOR_REFERENCE.match(cleaned):
        return False
    rearranged = cleaned[4:] + cleaned[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return int(numeric) % 97 == 1


def creditor_reference(body: str) -> str:
    """Build the RF creditor reference for a Kassenzeichen (or another alphanumeric body)."""
    numeric = "".join(str(int(char, 36)) for char in body.upper() + "RF00")
    return f"RF{98 - int(numeric) % 97:02d}{body.upper()}"


def kassenzeichen_from_creditor_reference(reference: str, scheme: Scheme) -> str | None:
    """Return the Kassenzeichen inside a valid RF creditor reference, or None."""
    cleaned = re.sub(r"\s", "", reference).upper()
    if not is_valid_creditor_reference(cleaned):
        return None
    body = cleaned[4:]
    if len(body) == scheme.length and body.startswith(scheme.prefix):
        if kz.is_valid(body, scheme.method):
            return body
    return None


def payment_reference_hex(end_to_end_id: str) -> str | None:
    """Return the EndToEndId if it has the form of our payment reference, else None."""
    value = end_to_end_id.strip().lower()
    return value if _PAYMENT_REFERENCE.match(value) else None


def join_remittance(lines: list[str]) -> list[str]:
    """Return the ways to read remittance lines as one text.

    Banks cut the unstructured remittance into lines of 35 or 140 characters, also in the
    middle of a word or number. Read without a separator, a number cut in two is whole
    again; read with a space, two numbers that ended and began at the cut stay apart.
    """
    if len(lines) <= 1:
        return list(lines)
    return ["".join(lines), " ".join(lines)]


def find_kassenzeichen(texts: list[str], scheme: Scheme) -> list[Found]:
    """Find every Kassenzeichen of the scheme in the texts, in order, each once.

    A run of digit groups is read as every sequence of neighbouring groups whose digits
    add up to the length of a Kassenzeichen (with a valid check digit) or to one digit
    less (the check digit then is computed). Candidates must start with the prefix.
    """
    found: list[Found] = []
    seen: set[str] = set()
    for text in texts:
        for run in _DIGIT_RUN.finditer(text):
            groups = _DIGIT_GROUP.findall(run.group())
            for item in _read_groups(groups, scheme):
                if item.kassenzeichen not in seen:
                    seen.add(item.kassenzeichen)
                    found.append(item)
    return found


def _read_groups(groups: list[str], scheme: Scheme) -> list[Found]:
    found = []
    for start in range(len(groups)):
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end]
            if len(digits) > scheme.length:
                break
            if not digits.startswith(scheme.prefix[: len(digits)]):
                break
            if len(digits) == scheme.length and _check_digit_fits(digits, scheme.method):
                found.append(Found(digits))
            elif len(digits) == scheme.length - 1 and _next_group_is_not_check_digit(
                groups, end, digits, scheme
            ):
                digit = kz.check_digit(digits, scheme.method)
                if digit is not None:
                    found.append(Found(f"{digits}{digit}", completed=True))
    return found


def _next_group_is_not_check_digit(groups: list[str], end: int, body: str, scheme) -> bool:
    """Tell whether a body of n-1 digits stands alone, not followed by its check digit."""
    if end + 1 >= len(groups):
        return True
    following = groups[end + 1]
    return not _check_digit_fits(body + following[:1], scheme.method)


def _check_digit_fits(digits: str, method: str) -> bool:
    """Tell whether the last of a string of digits is the check digit of the others.

    The same as ``kz.is_valid`` for digits only, which are all this module passes.
    """
    return kz.check_digit(digits[:-1], method) == int(digits[-1])


def similar_kassenzeichen(digits: str, scheme: Scheme) -> list[str]:
    """Return valid Kassenzeichen one typing error away from a digit string.

    Covers one wrong digit, two neighbouring digits swapped, and a wrong or missing check
    digit. Used to offer candidates for a line that matched no order.
    """
    results: set[str] = set()
    if len(digits) == scheme.length:
        body = digits[:-1]
        variants = {digits}
        for position in range(len(digits)):
            for replacement in "0123456789":
                variants.add(digits[:position] + replacement + digits[position + 1 :])
        for position in range(len(digits) - 1):
            swapped = list(digits)
            swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
            variants.add("".join(swapped))
        results.update(v for v in variants if kz.is_valid(v, scheme.method))
        digit = kz.check_digit(body, scheme.method)
        if digit is not None:
            results.add(f"{body}{digit}")
    elif len(digits) == scheme.length - 1:
        digit = kz.check_digit(digits, scheme.method)
        if digit is not None:
            results.add(f"{digits}{digit}")
    return sorted(v for v in results if v.startswith(scheme.prefix))


def digit_strings(texts: list[str], scheme: Scheme) -> list[str]:
    """Return digit strings of a Kassenzeichen's length (or one less) found in the texts."""
    results = []
    for text in texts:
        for run in _DIGIT_RUN.finditer(text):
            groups = _DIGIT_GROUP.findall(run.group())
            for start in range(len(groups)):
                digits = ""
                for end in range(start, len(groups)):
                    digits += groups[end]
                    if len(digits) in (scheme.length, scheme.length - 1):
                        results.append(digits)
                    if len(digits) >= scheme.length:
                        break
    return list(dict.fromkeys(results))
