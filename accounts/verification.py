"""Proving an address: the link mailed at registration (and on request), single use,
valid for EMAIL_VERIFICATION_HOURS; ``email_verified`` is true only after it."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.mail import Mail, issuer_url, send
from accounts.mail.links import VERIFY_EMAIL
from accounts.models import User


def verification_mail(user: User) -> Mail:
    link = issuer_url(reverse("accounts:verify_email", args=[VERIFY_EMAIL.make_token(user)]))
    return Mail("verify_email", user.email, {"link": link, "hours": settings.EMAIL_VERIFICATION_HOURS})


def send_verification(user: User) -> None:
    """Mail ``user`` a new link (raises MailNotSent)."""
    send(verification_mail(user))


def verify_email(token: str, request: HttpRequest | None = None) -> User:
    """Mark the address the link was mailed to as verified; LinkInvalid/LinkExpired
    for a link that is not, or no longer, good (a second use finds the state it
    fingerprinted changed). The row is locked: of two uses at once, one verifies."""
    with transaction.atomic():
        user = VERIFY_EMAIL.user_for(token, User.objects.select_for_update())
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record_event(EventType.EMAIL_VERIFIED, user=user, request=request)
    return user
