"""Portal data about citizen accounts; the accounts themselves are Django users."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CitizenProfile(models.Model):
    """Whether a citizen registered in the portal has confirmed the e-mail address.

    Only accounts registered in the portal get a profile. An account without one was made
    by staff or by the demo loader and counts as verified.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="citizen_profile",
        verbose_name=_("citizen account"),
    )
    email_verified = models.BooleanField(_("e-mail address verified"), default=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    class Meta:
        verbose_name = _("citizen profile")
        verbose_name_plural = _("citizen profiles")

    def __str__(self) -> str:
        return str(self.user)
