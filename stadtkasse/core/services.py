"""Services of the core: Kassenzeichen allocation, the audit log, the current municipality."""

import logging

from django.db import transaction

from stadtkasse.core import kassenzeichen
from stadtkasse.core.models import AuditLogEntry, Municipality

logger = logging.getLogger(__name__)


def next_kassenzeichen(municipality: Municipality) -> str:
    """Allocate the next Kassenzeichen of a municipality; call inside a transaction.

    The running number is taken with a row lock (PostgreSQL) or under SQLite's write lock
    (IMMEDIATE transactions), so that two tills never get the same number.
    """
    with transaction.atomic():
        row = (
            Municipality.objects.select_for_update()
            .only(
                "kassenzeichen_prefix",
                "kassenzeichen_width",
                "kassenzeichen_method",
                "kassenzeichen_next",
            )
            .get(pk=municipality.pk)
        )
        number = row.kassenzeichen_next
        while True:
            value = kassenzeichen.build(
                row.kassenzeichen_prefix,
                number,
                row.kassenzeichen_width,
                row.kassenzeichen_method,
            )
            number += 1
            if value is not None:
                break
        Municipality.objects.filter(pk=row.pk).update(kassenzeichen_next=number)
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
