"""Delivers the outbox to partner sites: back-channel logouts and Security Event Tokens.

One worker for every kind of message, so both share the guarantees: a message
is written in the transaction that makes it necessary, tried right after
commit, and retried with exponential backoff (``deliver_logouts``) until the
site acknowledges or ``GIVE_UP_AFTER`` has passed. Each attempt locks its row
(``FOR UPDATE SKIP LOCKED``), so any number of workers on any number of nodes
never send one message twice at the same time.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.models import OutboxMessage
from accounts.oauth import backchannel
from accounts.privacy import security_events

logger = logging.getLogger("accounts.outbox")

FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY_INTERVAL = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=3)

Kind = OutboxMessage.Kind

# What each kind is sent with, which answer acknowledges it, and how it is audited.
_SENDERS = {
    Kind.LOGOUT: backchannel.send_logout,
    Kind.ACCOUNT_PURGED: security_events.push,
    Kind.ACCOUNT_DISABLED: security_events.push,
}
_ACKNOWLEDGED = {
    Kind.LOGOUT: 200,  # OpenID Back-Channel Logout section 2.8
    Kind.ACCOUNT_PURGED: 202,  # RFC 8935 section 2.2
    Kind.ACCOUNT_DISABLED: 202,
}


def _audit(message: OutboxMessage, delivered: bool) -> None:
    if message.kind == Kind.LOGOUT:
        event = EventType.BACKCHANNEL_LOGOUT_DELIVERED if delivered else EventType.BACKCHANNEL_LOGOUT_FAILED
        record_event(event, client_id=message.site.client_id, sid=message.sid, attempts=message.attempts)
    else:
        # No user: an account-purged event outlives the account it is about.
        event = EventType.SECURITY_EVENT_DELIVERED if delivered else EventType.SECURITY_EVENT_FAILED
        record_event(event, client_id=message.site.client_id, event=message.kind, attempts=message.attempts)


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_INTERVAL)


def attempt_delivery(message_id: int) -> bool:
    """One delivery attempt, with the row locked so two workers never send the same one twice."""
    with transaction.atomic():
        # Lock the message row only: locking the joined site row too would make every
        # attempt skip while any other transaction holds a key-share lock on the site
        # (each sign-in and logout at that site does), leaving messages unattempted.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("site")
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        now = timezone.now()
        try:
            status = _SENDERS[message.kind](message)
            if status != _ACKNOWLEDGED[message.kind]:  # a redirect is not followed, nor an acknowledgement
                raise ValueError(f"HTTP {status}")
        except (OSError, ValueError) as error:
            message.last_error = str(error)[:300]
            if now - message.created_at > GIVE_UP_AFTER:
                message.status = OutboxMessage.Status.FAILED
                _audit(message, delivered=False)
            message.next_attempt_at = now + _backoff(message.attempts)
            logger.info("%s to %s failed (attempt %d)", message.kind, message.site.client_id, message.attempts)
        else:
            message.status = OutboxMessage.Status.DELIVERED
            message.delivered_at = now
            message.last_error = ""
            _audit(message, delivered=True)
        message.save()
    return message.status == OutboxMessage.Status.DELIVERED


def attempt_after_commit(message_ids: list[int]) -> None:
    """Try these messages once the current transaction commits; failures stay queued."""
    if message_ids:
        transaction.on_commit(lambda: [attempt_delivery(pk) for pk in message_ids])


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Attempt every pending message that is due; returns (delivered, still pending)."""
    due = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = sum(attempt_delivery(pk) for pk in due)
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
    return delivered, pending
