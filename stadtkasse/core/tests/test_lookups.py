"""The any_of lookup matches as __in does, on both databases."""

import pytest

from stadtkasse.core.models import Municipality


@pytest.fixture
def towns(db):
    return [
        Municipality.objects.create(slug=slug, name=slug.title())
        for slug in ("nord", "sued", "west")
    ]


def test_any_of_strings(towns):
    found = Municipality.objects.filter(slug__any_of={"nord", "west", "ost"})

    assert sorted(found.values_list("slug", flat=True)) == ["nord", "west"]


def test_any_of_keys(towns):
    keys = [towns[0].pk, towns[2].pk]

    assert set(Municipality.objects.filter(pk__any_of=keys)) == {towns[0], towns[2]}


def test_any_of_empty_list(towns):
    assert not Municipality.objects.filter(pk__any_of=[]).exists()


def test_any_of_excluded(towns):
    rest = Municipality.objects.exclude(slug__any_of=["nord"])

    assert sorted(rest.values_list("slug", flat=True)) == ["sued", "west"]
