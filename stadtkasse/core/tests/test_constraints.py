"""Foreign keys are checked row by row inside checked_immediately, at commit outside it."""

import pytest
from django.db import IntegrityError, connection, transaction

from stadtkasse.core.constraints import checked_immediately
from stadtkasse.core.models import AuditLogEntry, Municipality

MISSING_TOWN = 987654


def write_entry():
    return AuditLogEntry.objects.create(
        municipality_id=MISSING_TOWN, action="test.written", object_type="test", object_id="1"
    )


@pytest.mark.django_db
def test_block_checks_each_statement():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its deferred checks; the block changes nothing there")
    with pytest.raises(IntegrityError), transaction.atomic(), checked_immediately():
        write_entry()
    assert not AuditLogEntry.objects.filter(action="test.written").exists()


@pytest.mark.django_db
def test_block_end_defers_checks_again():
    with transaction.atomic():
        with checked_immediately():
            pass
        # Deferred again: the row may name a town that is written later in the transaction.
        entry = write_entry()
        Municipality.objects.create(pk=MISSING_TOWN, slug="spaet", name="Später")
    assert entry.municipality.slug == "spaet"


@pytest.mark.django_db
def test_failed_block_keeps_checks_deferred():
    with transaction.atomic():
        with pytest.raises(ValueError), transaction.atomic(), checked_immediately():
            raise ValueError("broken file")
        entry = write_entry()
        Municipality.objects.create(pk=MISSING_TOWN, slug="spaet", name="Später")
    assert entry.municipality.slug == "spaet"
