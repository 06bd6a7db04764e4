import pytest

from stadtkasse.core.money import format_cents, parse_euros, vat_from_gross


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [
        (400, 700, 26),  # 4.00 / 1.07 = 3.738 net, VAT 0.2617
        (800, 700, 52),  # 52.34
        (119, 1900, 19),  # exactly 19
        (500, 1900, 80),  # 79.83
        (4600, 0, 0),
        (1, 1900, 0),  # 0.16 rounds down
        (3, 1900, 0),  # 0.479 rounds down
        (4, 1900, 1),  # 0.639 rounds up
    ],
)
def test_vat_from_gross_rounds_half_up(gross, rate, vat):
    assert vat_from_gross(gross, rate) == vat


def test_format_cents_german():
    assert format_cents(123456) == "1.234,56\u00a0€"


def test_format_cents_negative():
    assert format_cents(-5) == "-0,05\u00a0€"


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12", 1200),
        ("1.234,56 €", 123456),
        (" 0,05 ", 5),
        # Dots that group by three are thousands, as a German reader takes them.
        ("1.000", 100000),
        ("1.000,00", 100000),
        ("1.000.000", 100000000),
        ("12.5", 1250),
        ("10,-", 1000),
        ("1.000,--", 100000),
    ],
)
def test_parse_euros(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1,234",
        "NaN",
        "1e3",
        "1e3x",
        "-5",
        "+5",
        "1_000",
        "1.5,00",
        "12.345.6",
        "10,---",
        ",-",
    ],
)
def test_parse_euros_rejects(text):
    with pytest.raises(ValueError):
        parse_euros(text)
