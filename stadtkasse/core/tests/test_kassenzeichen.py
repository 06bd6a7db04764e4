import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadtkasse.core import kassenzeichen as kz
from stadtkasse.core.models import Municipality
from stadtkasse.core.services import next_kassenzeichen


def test_luhn_check_digit_of_published_example():
    # The standard worked example of the Luhn method: 7992739871 has check digit 3.
    assert kz.check_digit("7992739871", kz.MOD10) == 3


def test_mod11_check_digit_computed_by_hand():
    # 5100000001 from the right, weights 2..7: 1*2 + 1*4 + 5*5 = 31; 31 % 11 = 9; 11 - 9 = 2.
    assert kz.check_digit("5100000001", kz.MOD11) == 2


def test_mod11_remainder_one_has_no_check_digit():
    # 6 * 2 = 12; 12 % 11 = 1; 11 - 1 = 10, which is no single digit.
    assert kz.check_digit("6", kz.MOD11) is None


def test_build_pads_running_number():
    assert kz.build("51", 1, 8, kz.MOD10) == "51000000011"


def test_display_groups_digits():
    assert kz.display("51000000011") == "5100.0000.01-1"


def test_normalize_removes_separators():
    assert kz.normalize("5100.0000 01-1") == "51000000011"


@given(st.integers(min_value=0, max_value=10**8 - 1), st.sampled_from(kz.METHODS))
def test_built_kassenzeichen_is_valid(number, method):
    value = kz.build("51", number, 8, method)
    if value is not None:
        assert kz.is_valid(value, method)


@given(st.integers(min_value=0, max_value=10**8 - 1), st.integers(min_value=0, max_value=9))
def test_luhn_detects_single_digit_change(number, position):
    value = kz.build("51", number, 8, kz.MOD10)
    index = position % len(value)
    changed = value[:index] + str((int(value[index]) + 1) % 10) + value[index + 1 :]
    assert not kz.is_valid(changed, kz.MOD10)


def test_unknown_method_rejected():
    with pytest.raises(ValueError, match="unknown check digit method"):
        kz.check_digit("123", "mod97")


@pytest.mark.django_db
def test_next_kassenzeichen_skips_numbers_without_mod11_digit():
    town = Municipality.objects.create(
        slug="t",
        name="T",
        kassenzeichen_prefix="",
        kassenzeichen_width=1,
        kassenzeichen_method=kz.MOD11,
        kassenzeichen_next=6,
    )

    value = next_kassenzeichen(town)

    # 6 has no mod 11 check digit; 7 * 2 = 14, 14 % 11 = 3, 11 - 3 = 8.
    assert value == "78"
    town.refresh_from_db()
    assert town.kassenzeichen_next == 8


@pytest.mark.django_db
def test_prefix_with_letters_rejected():
    from django.core.exceptions import ValidationError

    town = Municipality(slug="t", name="T", kassenzeichen_prefix="5A")

    with pytest.raises(ValidationError) as raised:
        town.full_clean()

    assert raised.value.message_dict["kassenzeichen_prefix"] == [
        "Das Präfix des Kassenzeichens darf nur die Ziffern 0 bis 9 enthalten."
    ]
