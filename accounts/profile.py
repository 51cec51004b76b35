"""Changing the account's e-mail address (proved at the new address before it replaces
the old one, which is told) and its name."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.mail import Mail, MailNotSent, issuer_url, notify, send
from accounts.mail.links import MAX_TOKEN_LENGTH, LinkExpired, LinkInvalid
from accounts.models import EmailChange, User, token_digest
from accounts.pii.blind_index import email_index


class AddressTaken(Exception):
    """Another account took the new address between the request and the link."""


def request_email_change(request: HttpRequest, user: User, new_email: str) -> None:
    """Remember ``new_email`` as the account's pending address and mail it a link
    (raises MailNotSent, and then nothing stays pending). Where another account
    has the address, its owner is told instead and no link goes out: the person
    asking learns nothing about whose address it is."""
    candidate = User(email=new_email)
    candidate.clean()  # the account's own normalisation (NFKC, the domain in lower case)
    new_email = candidate.email
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        EmailChange.objects.update_or_create(
            user=user, defaults={"email": new_email, "token_hash": token_digest(token), "requested_at": timezone.now()}
        )
        record_event(EventType.EMAIL_CHANGE_REQUESTED, user=user, request=request)
    taken = User.objects.filter(email_index=email_index(new_email)).exclude(pk=user.pk).exists()
    link = issuer_url(reverse("accounts:email_change_confirm", args=[token]))
    mail = (
        Mail("email_change_taken", new_email, {"reset": issuer_url(reverse("accounts:password_reset"))})
        if taken
        else Mail("email_change", new_email, {"link": link, "hours": settings.EMAIL_VERIFICATION_HOURS})
    )
    try:
        send(mail)
    except MailNotSent:
        EmailChange.objects.filter(user=user).delete()
        raise


def confirm_email_change(request: HttpRequest, token: str) -> User:
    """Make the pending address the account's, verified (LinkInvalid, LinkExpired,
    AddressTaken); the old address is told afterwards."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("email_change")
    lifetime = timedelta(hours=settings.EMAIL_VERIFICATION_HOURS)
    with transaction.atomic():
        change = (
            EmailChange.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=token_digest(token), user__is_active=True)
            .first()
        )
        if change is None:
            raise LinkInvalid("email_change")
        if timezone.now() - change.requested_at > lifetime:
            raise LinkExpired("email_change")
        user = change.user
        old_email = user.email
        user.email, user.email_verified_at = change.email, timezone.now()
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_index", "email_verified_at"])
        except IntegrityError:
            raise AddressTaken from None
        change.delete()
        record_event(EventType.EMAIL_CHANGED, user=user, request=request)
    notify(Mail("email_changed", old_email, {"reset": issuer_url(reverse("accounts:password_reset"))}))
    return user


def change_name(request: HttpRequest, user: User, name: str) -> None:
    with transaction.atomic():
        user.name = name
        user.save(update_fields=["name"])
        record_event(EventType.NAME_CHANGED, user=user, request=request)
