"""Sales channels. Every order is stamped with the channel it came through."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PORTAL = "portal", _("Online portal")
    COUNTER = "counter", _("Counter")
    KIOSK = "kiosk", _("Kiosk or machine")
    API = "api", _("API")
