"""Kassenzeichen: prefix, running number and check digit.

A Kassenzeichen is the reference of a receivable that a payer writes on a bank transfer.
It consists only of digits: the municipality's prefix, the running number padded to a
fixed width, and one check digit over both, computed by one of two methods:

- ``mod10``: the Luhn method (weights 2 and 1 from the right, digit sums).
- ``mod11``: weights 2, 3, 4, 5, 6, 7 repeating from the right; the check digit is
  11 minus the remainder, where 11 gives 0. A number whose check digit would be 10 has no
  valid Kassenzeichen and is skipped by the generator.
"""

import re

MOD10 = "mod10"
MOD11 = "mod11"
METHODS = (MOD10, MOD11)


def check_digit(digits: str, method: str) -> int | None:
    """Return the check digit for a string of digits, or None where mod11 gives none."""
    if not digits.isdigit():
        raise ValueError(f"only digits are allowed, got {digits!r}")
    if method == MOD10:
        total = 0
        for position, char in enumerate(reversed(digits)):
            value = int(char)
            if position % 2 == 0:
                value *= 2
                if value > 9:
                    value -= 9
            total += value
        return (10 - total % 10) % 10
    if method == MOD11:
        total = sum(
            int(char) * (2 + position % 6) for position, char in enumerate(reversed(digits))
        )
        result = 11 - total % 11
        if result == 11:
            return 0
        if result == 10:
            return None
        return result
    raise ValueError(f"unknown check digit method {method!r}, use one of {METHODS}")


def build(prefix: str, number: int, width: int, method: str) -> str | None:
    """Build a Kassenzeichen, or return None where the number has no valid check digit."""
    body = f"{prefix}{number:0{width}d}"
    digit = check_digit(body, method)
    if digit is None:
        return None
    return f"{body}{digit}"


def is_valid(kassenzeichen: str, method: str) -> bool:
    """Tell whether the last digit is the right check digit for the digits before it."""
    cleaned = normalize(kassenzeichen)
    if len(cleaned) < 2:
        return False
    return check_digit(cleaned[:-1], method) == int(cleaned[-1])


def normalize(text: str) -> str:
    """Remove the spaces, dots, dashes and slashes that people write into a Kassenzeichen."""
    return re.sub(r"[\s./\-]", "", text)


def display(kassenzeichen: str) -> str:
    """Group the digits in fours for reading, the check digit set off by a dash."""
    body, digit = kassenzeichen[:-1], kassenzeichen[-1]
    groups = [body[i : i + 4] for i in range(0, len(body), 4)]
    return ".".join(groups) + "-" + digit
