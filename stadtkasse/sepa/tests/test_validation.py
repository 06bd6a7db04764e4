import pytest
from django.core.exceptions import ValidationError

from stadtkasse.sepa.calendar import add_business_days, easter_sunday
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.validation import (
    check_account_holder,
    check_bic,
    check_creditor_id,
    check_iban,
    validate_creditor_id,
)


def message_of(check, value):
    with pytest.raises(SepaError) as raised:
        check(value)
    return raised.value.message


def test_iban_with_spaces_and_lower_case_is_accepted():
    assert check_iban("de02 1203 0000 0000 2020 51").compact == "DE02120300000000202051"


def test_iban_with_dashes_is_accepted():
    assert check_iban("DE02-1203-0000-0000-2020-51").compact == "DE02120300000000202051"


def test_iban_with_wrong_check_digits():
    assert message_of(check_iban, "DE03 1203 0000 0000 2020 51") == (
        "Die IBAN „DE03 1203 0000 0000 2020 51“ ist ungültig, weil ihre Prüfziffern nicht "
        "stimmen. Bitte vergleichen Sie sie mit Ihrer Bankkarte oder Ihrem Kontoauszug."
    )


def test_iban_with_a_missing_digit():
    assert message_of(check_iban, "DE02 1203 0000 0000 2020 5") == (
        "Die IBAN „DE02 1203 0000 0000 2020 5“ hat nicht die richtige Länge für ihr Land. "
        "Bitte prüfen Sie, ob eine Ziffer fehlt oder doppelt ist."
    )


def test_iban_with_unknown_country():
    assert message_of(check_iban, "XX02120300000000202051") == (
        "Die IBAN „XX02120300000000202051“ beginnt nicht mit einem bekannten Ländercode. "
        "Bitte prüfen Sie sie, zum Beispiel DE02 1203 0000 0000 2020 51."
    )


def test_iban_outside_sepa():
    # A valid Brazilian IBAN: Brazil is not in the SEPA area.
    assert message_of(check_iban, "BR1800360305000010009795493C1") == (
        "Die IBAN „BR1800360305000010009795493C1“ gehört zu einem Konto außerhalb des "
        "SEPA-Raums und kann daher nicht per Lastschrift eingezogen werden. Bitte geben Sie "
        "die IBAN eines Kontos im SEPA-Raum an."
    )


def test_iban_missing():
    assert message_of(check_iban, "  ") == (
        "Bitte geben Sie die IBAN des Kontos an, von dem abgebucht werden soll."
    )


def test_bic_invalid():
    assert message_of(check_bic, "BYLA") == (
        "Die BIC „BYLA“ ist ungültig. Bitte geben Sie 8 oder 11 Zeichen an, zum Beispiel "
        "BYLADEM1001."
    )


@pytest.mark.parametrize("value", ["DE98ZZZ09999999999", "de98 zzz 09999999999"])
def test_creditor_id_valid(value):
    assert check_creditor_id(value) == "DE98ZZZ09999999999"


@pytest.mark.parametrize("value", ["DE97ZZZ09999999999", "DE98ZZZ0999999999X!", "ZZZ", ""])
def test_creditor_id_invalid(value):
    assert message_of(check_creditor_id, value) == (
        f"Die Gläubiger-Identifikationsnummer „{value.strip()}“ ist ungültig. Bitte prüfen "
        "Sie sie, zum Beispiel DE98ZZZ09999999999."
    )


def test_creditor_id_validator_raises_validation_error():
    with pytest.raises(ValidationError):
        validate_creditor_id("DE97ZZZ09999999999")


def test_account_holder_missing():
    assert (
        message_of(check_account_holder, " ")
        == "Bitte geben Sie den Namen der Kontoinhaberin oder des Kontoinhabers an."
    )


def test_account_holder_too_long():
    assert message_of(check_account_holder, "A" * 71) == (
        f"Der Name „{'A' * 71}“ kann für eine Banküberweisung oder Lastschrift nicht verwendet "
        "werden. Bitte verwenden Sie höchstens 70 Zeichen und keine Zeilenumbrüche."
    )


def test_account_holder_with_line_break():
    with pytest.raises(SepaError) as raised:
        check_account_holder("Maria\nMuster")

    assert raised.value.code == "invalid_account_holder"


def test_account_holder_umlauts_are_kept():
    assert check_account_holder("  Jürgen  Groß ") == "Jürgen Groß"


def test_log_message_masks_the_iban():
    with pytest.raises(SepaError) as raised:
        check_iban("DE03120300000000202051")

    assert "DE03" not in raised.value.log_message


def test_easter_dates():
    assert [easter_sunday(year).isoformat() for year in (2024, 2025, 2026, 2027)] == [
        "2024-03-31",
        "2025-04-20",
        "2026-04-05",
        "2027-03-28",
    ]


def test_business_days_skip_weekend_and_target_holidays():
    from datetime import date

    # Thursday 24 December 2026: 25 and 26 December are TARGET holidays, 26/27 a weekend.
    assert add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    # Wednesday 1 April 2026: Good Friday 3 April and Easter Monday 6 April are closed.
    assert add_business_days(date(2026, 4, 1), 5) == date(2026, 4, 10)
