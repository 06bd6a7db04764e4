"""Citizen accounts: registration, e-mail verification, login checks."""

import logging

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from stadtkasse.portal.errors import PortalError
from stadtkasse.portal.models import CitizenProfile

logger = logging.getLogger(__name__)

VERIFICATION_SALT = "stadtkasse.portal.verify-email"
VERIFICATION_DAYS = 7


def normalize_email(email: str) -> str:
    """Return the address as citizen usernames store it: stripped and lowercased."""
    return (email or "").strip().lower()


def register_citizen(*, email: str, first_name: str, last_name: str, password: str):
    """Create a citizen account whose e-mail address still needs confirming."""
    email = normalize_email(email)
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=email).exists():
        raise PortalError("email_taken", email=email)
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=email,
                email=email,
                password=password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                is_staff=False,
            )
            CitizenProfile.objects.create(user=user, email_verified=False)
    except IntegrityError:
        # Two registrations with the same address raced; the other one won.
        raise PortalError("email_taken", email=email) from None
    logger.info("citizen registered: user=%s", user.pk)
    return user


def verification_token(user) -> str:
    """Return a signed, dated token that confirms the user's current e-mail address."""
    return signing.TimestampSigner(salt=VERIFICATION_SALT).sign_object(
        {"user": user.pk, "email": user.email}
    )


def verify_email(token: str):
    """Mark the address in a token as confirmed; return the user, or raise PortalError."""
    try:
        data = signing.TimestampSigner(salt=VERIFICATION_SALT).unsign_object(
            token, max_age=VERIFICATION_DAYS * 86400
        )
    except signing.BadSignature:
        raise PortalError("invalid_verification_link", days=VERIFICATION_DAYS) from None

    user = get_user_model().objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise PortalError("invalid_verification_link", days=VERIFICATION_DAYS)
    profile, _created = CitizenProfile.objects.get_or_create(user=user)
    if not profile.email_verified:
        profile.email_verified = True
        profile.verified_at = timezone.now()
        profile.save(update_fields=["email_verified", "verified_at"])
        logger.info("citizen e-mail verified: user=%s", user.pk)
    return user
