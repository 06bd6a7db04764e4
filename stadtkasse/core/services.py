"""Services of the core: Kassenzeichen allocation, the audit log, the current municipality."""

import logging
import threading
from dataclasses import dataclass

from django.db import connection

from stadtkasse.core import kassenzeichen
from stadtkasse.core.models import AuditLogEntry, Municipality

logger = logging.getLogger(__name__)


def next_kassenzeichen(municipality: Municipality) -> str:
    """Allocate the next Kassenzeichen of a municipality.

    One ``UPDATE … RETURNING`` takes the running number and counts it up, so two tills
    never get the same number. The row stays locked until the caller's transaction ends.
    So a caller that does more work afterwards should allocate before its transaction, to
    keep the lock short. On SQLite the IMMEDIATE transaction holds the write lock anyway.
    """
    while True:
        number, settings = _take_numbers(municipality, 1)
        value = kassenzeichen.build(settings.prefix, number, settings.width, settings.method)
        # A number without a valid mod 11 check digit is skipped.
        if value is not None:
            return value


# Running numbers that reserve_kassenzeichen takes from the database at a time.
KASSENZEICHEN_BLOCK = 10


@dataclass
class _Settings:
    """The Kassenzeichen settings of a municipality, as read with its running number."""

    prefix: str
    width: int
    method: str


@dataclass
class _Block:
    """Running numbers this process reserved for one municipality, from next_number to end."""

    config_version: int
    next_number: int
    end: int
    settings: _Settings


_blocks: dict[int, _Block] = {}
_blocks_lock = threading.Lock()


def reserve_kassenzeichen(municipality: Municipality) -> str:
    """Hand out the next Kassenzeichen from a block of numbers this process reserved.

    The block is taken from the database with one ``UPDATE … RETURNING``, in a transaction
    of its own, so that a counter sale does not pay a statement and a commit for its
    number. The price: numbers of different server processes interleave, so they do not
    follow the time of sale, and the rest of a block is never used when the process ends
    or the municipality's settings change (``config_version``). A Kassenzeichen may have
    such gaps. Call it outside a transaction: one that is rolled back would hand the
    block's numbers out a second time.
    """
    with _blocks_lock:
        while True:
            block = _blocks.get(municipality.pk)
            if (
                block is None
                or block.next_number >= block.end
                or block.config_version != municipality.config_version
            ):
                start, settings = _take_numbers(municipality, KASSENZEICHEN_BLOCK)
                block = _Block(
                    municipality.config_version, start, start + KASSENZEICHEN_BLOCK, settings
                )
                _blocks[municipality.pk] = block
            number = block.next_number
            block.next_number += 1
            settings = block.settings
            value = kassenzeichen.build(settings.prefix, number, settings.width, settings.method)
            if value is not None:
                return value


def forget_kassenzeichen_blocks() -> None:
    """Drop the reserved blocks of this process, as tests do between cases."""
    with _blocks_lock:
        _blocks.clear()


def _take_numbers(municipality: Municipality, count: int) -> tuple[int, _Settings]:
    """Count the running number up by ``count`` and return the first number taken."""
    table = connection.ops.quote_name(Municipality._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET kassenzeichen_next = kassenzeichen_next + %s "
            "WHERE id = %s RETURNING kassenzeichen_next - %s, kassenzeichen_prefix, "
            "kassenzeichen_width, kassenzeichen_method",
            [count, municipality.pk, count],
        )
        first, prefix, width, method = cursor.fetchone()
    return first, _Settings(prefix, width, method)


def audit(
    action: str,
    obj,
    *,
    municipality: Municipality | None = None,
    user=None,
    data: dict | None = None,
) -> AuditLogEntry:
    """Write a business event to the audit log."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditLogEntry.objects.create(
        municipality=municipality,
        action=action,
        user=user,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )


def default_municipality() -> Municipality | None:
    """Return the municipality served when the host names none: the first one."""
    return Municipality.objects.order_by("pk").first()
