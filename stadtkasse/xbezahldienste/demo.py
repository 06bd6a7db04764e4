"""The demo town's e-payment platform: the XBezahldienste stub under this same server."""

import logging

from django.conf import settings

from stadtkasse.xbezahldienste.models import AuthType, PlatformConfig, PlatformKind

logger = logging.getLogger(__name__)


def load_demo_platform(town) -> PlatformConfig | None:
    """Configure the stub at /dev/xbezahldienste/ as the town's platform, with OAuth2.

    Only where the demo is on, because only then does this server serve the stub. The
    addresses are paths, resolved against XBEZAHLDIENSTE_LOCAL_ORIGIN when used, so
    the demo works on whatever port the server listens on.
    """
    if not settings.DEMO:
        return None
    platform = PlatformConfig.objects.create(
        municipality=town,
        name="XBezahldienste-Testplattform",
        display_name="Online bezahlen: Kreditkarte oder PayPal (Testplattform)",
        kind=PlatformKind.OTHER,
        base_url="/dev/xbezahldienste/",
        originator_id="stadtkasse-musterstadt",
        endpoint_id="musterstadt",
        auth_type=AuthType.OAUTH2_CLIENT_CREDENTIALS,
        token_url="/dev/xbezahldienste/oauth/token",
        client_id=settings.XBEZAHLDIENSTE_DEMO_CLIENT_ID,
        client_secret_env="XBEZAHLDIENSTE_DEMO_CLIENT_SECRET",
    )
    logger.info("demo e-payment platform configured: municipality=%s", town.slug)
    return platform
