"""The periodic status check of payments whose citizens never came back from the platform."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.payments.providers import ProviderError, get_provider
from stadtkasse.payments.services import apply_provider_result
from stadtkasse.xbezahldienste.provider import IDENTIFIER

logger = logging.getLogger(__name__)


@dataclass
class PollCounts:
    checked: int = 0
    changed: int = 0
    still_pending: int = 0
    failed: int = 0


def pending_payments(*, min_age_minutes: int, max_age_hours: int, limit: int):
    """Pending payments at a platform, least recently checked first.

    A payment is checked from ``min_age_minutes`` on, because the citizen may still be
    paying. After ``max_age_hours`` it is left alone: a platform that still reports INITIAL
    by then has given up.
    """
    now = timezone.now()
    return (
        Payment.objects.filter(
            provider=IDENTIFIER,
            state=PaymentState.PENDING,
            created_at__lte=now - timedelta(minutes=min_age_minutes),
            created_at__gte=now - timedelta(hours=max_age_hours),
            platform_transaction__isnull=False,
        )
        .select_related("order")
        .order_by(F("platform_transaction__checked_at").asc(nulls_first=True), "created_at")[:limit]
    )


def poll_pending_payments(
    *, min_age_minutes: int = 5, max_age_hours: int = 48, limit: int = 200
) -> PollCounts:
    """Fetch and apply the status of pending platform payments; repeats change nothing."""
    provider = get_provider(IDENTIFIER)
    counts = PollCounts()
    for payment in pending_payments(
        min_age_minutes=min_age_minutes, max_age_hours=max_age_hours, limit=limit
    ):
        counts.checked += 1
        try:
            result = provider.fetch_status(payment)
        except ProviderError as error:
            counts.failed += 1
            logger.warning("poll: status of payment %s not fetched: %s", payment.reference, error)
            continue
        if result is None or result.state == PaymentState.PENDING:
            counts.still_pending += 1
            continue
        apply_provider_result(result, cause="status fetched by the poll job")
        counts.changed += 1
    logger.info(
        "poll: %d payments checked, %d changed, %d still pending, %d failed",
        counts.checked,
        counts.changed,
        counts.still_pending,
        counts.failed,
    )
    return counts
