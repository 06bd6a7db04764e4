"""Demo set-up: the Hallenbad till pays by card on the ZVT simulator at 127.0.0.1:20007."""

import logging

from django.conf import settings

from stadtkasse.core.models import PointOfSale
from stadtkasse.terminals.models import TerminalConfig

logger = logging.getLogger(__name__)

DEMO_TERMINAL_PORT = 20007


def add_demo_terminal(town) -> TerminalConfig | None:
    """Point the pool till at the simulator that ./serve starts; only in demo mode."""
    if not settings.DEMO:
        return None
    till = PointOfSale.objects.get(
        operator__municipality=town, operator__slug="hallenbad", slug="kasse"
    )
    config, _created = TerminalConfig.objects.get_or_create(
        point_of_sale=till, defaults={"host": "127.0.0.1", "port": DEMO_TERMINAL_PORT}
    )
    logger.info("demo card terminal: pos=%s 127.0.0.1:%s", till.pk, DEMO_TERMINAL_PORT)
    return config
