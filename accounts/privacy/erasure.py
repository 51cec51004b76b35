"""Erasing an account (GDPR article 17), by its owner or by staff, and telling every
partner site that ever knew it.

One transaction, with the account's row locked: every SSO session ends as "sign
out everywhere" ends it (refresh tokens blacklisted, back-channel logouts
queued, the sids denied to access tokens after commit); an ``account-purged``
Security Event Token is queued for each site that knew the account; then the
account row goes and with it, by cascade, every row that hangs on it (sessions,
consents, factors, pending e-mail changes, device secrets, legacy links). The
simplejwt token rows, which only set their user to NULL, and the admin's change
log, which names the account in clear, are deleted with it.

The audit trail keeps its events, but no longer about a person: the account's id
becomes a random pseudonym made for this erasure (kept nowhere else), and the
columns that could single the person out again (network, session, site, detail)
are cleared. That rewrite is the one change ever made to audit rows, done by a
queryset ``update`` that bypasses ``AuditEvent.save``'s append-only guard on purpose.

What is left afterwards: the pending outbox messages to sites carry the
subject those sites already hold, until ``purge`` removes them once delivered.
"""

from __future__ import annotations

import uuid

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import outbox
from accounts.audit import EventType, record_event
from accounts.mail import Mail, notify
from accounts.models import AuditEvent, OutboxMessage, User
from accounts.privacy.security_events import queue_account_event
from accounts.sessions import EndReason, end_user_sessions


class ErasureReason(models.TextChoices):
    OWN_REQUEST = "own_request", _("The account's owner deleted it")
    REQUESTED_BY_OWNER = "requested_by_owner", _("The owner asked us to delete it")
    LEGAL_OBLIGATION = "legal_obligation", _("A legal obligation")
    ABUSE = "abuse", _("Abuse or fraud")
    INACTIVE = "inactive", _("Long inactive")


class ErasureRefused(Exception):
    """The account may not be erased (the last active superuser)."""


def erase_account(
    user: User, reason: str, *, actor: User | None = None, request: HttpRequest | None = None
) -> uuid.UUID:
    """Erase ``user`` now; returns the pseudonym its audit events carry from now on."""
    if reason not in ErasureReason.values:
        raise ValueError(f"unknown erasure reason {reason!r}")
    pseudonym = uuid.uuid4()
    with transaction.atomic():
        # Every active superuser's row, locked in one order: two erasures of the last
        # two superusers, side by side, cannot each see the other still there.
        superusers = list(User.objects.select_for_update().filter(is_superuser=True, is_active=True).order_by("pk"))
        account = User.objects.select_for_update().get(pk=user.pk)
        if account in superusers and len(superusers) == 1:
            raise ErasureRefused("the last active superuser cannot be erased")
        address, language = account.email, get_language()
        end_user_sessions(account, EndReason.ACCOUNT_ERASED)
        told = queue_account_event(account, OutboxMessage.Kind.ACCOUNT_PURGED)
        _forget_in_audit_trail(account, pseudonym)
        OutstandingToken.objects.filter(user=account).delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(account.pk)
        ).delete()
        account.delete()
        by_staff = actor is not None and actor.pk != user.pk
        record_event(
            EventType.ACCOUNT_ERASED,
            user_id=pseudonym,
            # The staff member's network is theirs to account for; the owner's is not kept.
            actor=actor if by_staff else None,
            request=request if by_staff else None,
            reason=reason,
            sites_told=len(told),
        )
        outbox.attempt_after_commit(told)
        transaction.on_commit(lambda: notify(Mail("account_erased", address), language))
    return pseudonym


def _forget_in_audit_trail(account: User, pseudonym: uuid.UUID) -> None:
    cleared = {"network_id": "", "sid": "", "client_id": "", "detail": {}}
    AuditEvent.objects.filter(user_id=account.pk).update(user_id=pseudonym, **cleared)
    # What the person did as staff stays attributable to one (pseudonymous) actor.
    AuditEvent.objects.filter(actor_id=account.pk).update(actor_id=pseudonym, network_id="")
