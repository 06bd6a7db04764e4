"""Services of the core: Kassenzeichen allocation, the audit log, the current municipality."""

import logging

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
    table = connection.ops.quote_name(Municipality._meta.db_table)
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"UPDATE {table} SET kassenzeichen_next = kassenzeichen_next + 1 "
                "WHERE id = %s RETURNING kassenzeichen_next - 1, kassenzeichen_prefix, "
                "kassenzeichen_width, kassenzeichen_method",
                [municipality.pk],
            )
            number, prefix, width, method = cursor.fetchone()
            value = kassenzeichen.build(prefix, number, width, method)
            # A number without a valid mod 11 check digit is skipped.
            if value is not None:
                return value


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
