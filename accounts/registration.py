"""Creating accounts: one answer ("check your inbox") and the same work whether or not
the address is taken, a per-network throttle, and a verification link mailed after
the account is committed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from accounts.audit import EventType, record_event
from accounts.counting import count_attempt
from accounts.mail import Mail, MailNotSent, issuer_url, send
from accounts.models import User
from accounts.network import network_id
from accounts.pii.blind_index import email_index
from accounts.verification import verification_mail

THROTTLE_WINDOW_SECONDS = 3600


def registration_throttled(request: HttpRequest) -> bool:
    """Counts this attempt against its network's hourly allowance
    (REGISTRATIONS_PER_NETWORK_PER_HOUR); True once that is used up."""
    key = "registration:" + hashlib.sha256(network_id(request).encode()).hexdigest()[:40]
    attempts = count_attempt(cache, key, THROTTLE_WINDOW_SECONDS)
    if attempts == settings.REGISTRATIONS_PER_NETWORK_PER_HOUR + 1:
        record_event(EventType.REGISTRATION_THROTTLED, request=request)
    return attempts > settings.REGISTRATIONS_PER_NETWORK_PER_HOUR


def register(request: HttpRequest, *, email: str, password: str, name: str = "") -> None:
    """Register ``email``, or tell its owner someone tried: either way one message to
    the address, and nothing the caller can tell apart (raises MailNotSent alike).

    Nothing looks the address up first: the password is hashed and the insert tried
    either way, and the unique blind index refuses a taken address, so a taken
    address costs what a new one does and two concurrent registrations of one
    address (in any case or spelling) make one account. If the verification
    cannot be mailed, the new account is removed again: the address stays free
    for the next try, and no account waits for a link that never came.
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, name=name)
            record_event(EventType.REGISTRATION, user=user, request=request)
    except IntegrityError:
        _tell_owner(request, email)
        return
    try:
        send(verification_mail(user))
    except MailNotSent:
        User.objects.filter(pk=user.pk).delete()
        record_event(EventType.MAIL_NOT_SENT, user_id=user.pk, request=request, mail="verify_email")
        raise


def _tell_owner(request: HttpRequest, email: str) -> None:
    owner = User.objects.filter(email_index=email_index(email)).only("pk").first()
    record_event(EventType.REGISTRATION_REPEATED, user=owner, request=request)
    send(
        Mail(
            "already_registered",
            email,
            {
                "sign_in": issuer_url(reverse("accounts:login")),
                "reset": issuer_url(reverse("accounts:password_reset")),
            },
        )
    )
