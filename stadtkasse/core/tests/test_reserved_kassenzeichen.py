"""Kassenzeichen handed out from blocks that a process reserves."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from stadtkasse.core import kassenzeichen
from stadtkasse.core.models import Municipality
from stadtkasse.core.services import KASSENZEICHEN_BLOCK, reserve_kassenzeichen


def town(slug: str, method: str = kassenzeichen.MOD10) -> Municipality:
    return Municipality.objects.create(
        slug=slug,
        name=slug.title(),
        kassenzeichen_prefix="51",
        kassenzeichen_width=8,
        kassenzeichen_method=method,
    )


def test_block_numbers_follow_each_other(db):
    nord = town("nord")

    values = [reserve_kassenzeichen(nord) for _ in range(3)]

    assert values == [kassenzeichen.build("51", number, 8, "mod10") for number in (1, 2, 3)]


def test_one_update_per_block(db):
    nord = town("nord")

    with CaptureQueriesContext(connection) as queries:
        for _ in range(KASSENZEICHEN_BLOCK + 1):
            reserve_kassenzeichen(nord)

    assert len(queries) == 2
    nord.refresh_from_db()
    assert nord.kassenzeichen_next == 2 * KASSENZEICHEN_BLOCK + 1


def test_settings_change_starts_new_block(db):
    nord = town("nord")
    reserve_kassenzeichen(nord)

    nord.kassenzeichen_prefix = "52"
    nord.save()
    nord.refresh_from_db()
    value = reserve_kassenzeichen(nord)

    # The rest of the first block stays unused.
    assert value == kassenzeichen.build("52", KASSENZEICHEN_BLOCK + 1, 8, "mod10")


def test_towns_have_own_blocks(db):
    nord, sued = town("nord"), town("sued")

    reserve_kassenzeichen(nord)

    assert reserve_kassenzeichen(sued) == kassenzeichen.build("51", 1, 8, "mod10")


def test_number_without_check_digit_skipped(db):
    # With prefix 51 and eight digits, running number 8 has no valid mod 11 check digit.
    nord = town("nord", kassenzeichen.MOD11)

    values = [reserve_kassenzeichen(nord) for _ in range(8)]

    assert kassenzeichen.build("51", 8, 8, "mod11") is None
    assert values[-1] == kassenzeichen.build("51", 9, 8, "mod11")
