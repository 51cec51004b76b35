"""Forgotten passwords: a link mailed to the address, valid once and for
PASSWORD_RESET_MINUTES; using it ends every session of the account as "sign out
everywhere" does (accounts.signals, on the new password hash)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.lockout import clear_account_counters
from accounts.mail import Mail, issuer_url, notify, send
from accounts.mail.links import RESET_PASSWORD, LinkInvalid
from accounts.models import User
from accounts.pii.blind_index import email_index


def request_reset(request: HttpRequest, email: str) -> None:
    """Mail ``email`` a reset link, or, where no account has that address, a message
    saying so: one look-up and one message either way, so neither the answer nor
    its time tells whether the address has an account (raises MailNotSent alike)."""
    user = User.objects.filter(email_index=email_index(email), is_active=True).first()
    if user is None:
        send(Mail("password_reset_unknown", email, {"register": issuer_url(reverse("accounts:register"))}))
        return
    record_event(EventType.PASSWORD_RESET_REQUESTED, user=user, request=request)
    link = issuer_url(reverse("accounts:password_reset_confirm", args=[RESET_PASSWORD.make_token(user)]))
    send(Mail("password_reset", user.email, {"link": link, "minutes": settings.PASSWORD_RESET_MINUTES}))


def reset_user(token: str) -> User:
    """The account a reset link is for (LinkInvalid, LinkExpired)."""
    return RESET_PASSWORD.user_for(token)


def reset_password(request: HttpRequest, token: str, new_password: str) -> User:
    """Set ``new_password`` (already validated) through the link ``token``.

    The account row is locked and the link checked again against it, so of any
    number of uses at once exactly one succeeds and the rest find the link used.
    The mailbox is proved, so the address counts as verified; the lockout
    counters go; the user is told by mail once it is done."""
    with transaction.atomic():
        user = RESET_PASSWORD.user_for(token, User.objects.select_for_update())
        user.set_password(new_password)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        user.save()  # a new hash: every session ends (accounts.signals)
        record_event(EventType.PASSWORD_RESET, user=user, request=request)
    clear_account_counters(request, user)
    notify(Mail("password_changed", user.email, {"reset": issuer_url(reverse("accounts:password_reset"))}))
    return user


__all__ = ["LinkInvalid", "request_reset", "reset_password", "reset_user"]
