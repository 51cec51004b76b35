"""Retention: removing what no longer serves anyone (``manage.py purge``).

Each rule names the rows that are stale *now*, by a condition that a live row
can never meet: an SSO session that ended longer ago than the retention period
(its access tokens are refused once its row is gone, DESIGN.md section 5), a
refresh-token row once the token it guards has expired (simplejwt refuses an
expired token before it looks at the blacklist), an authorization code once it
has expired and the tokens its replay would revoke have too, and so on.

Rows go in batches of ``batch_size`` primary keys, one transaction per batch,
locked with ``FOR UPDATE SKIP LOCKED`` so that a row a request is touching is
left for the next run instead of waiting on it. Stopping half-way loses nothing:
the next run finds what is still stale. Other apps add their own rules with
``register_rule`` (the token-exchange app: its expired device secrets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.audit import EventType, record_event
from accounts.conf import sso_settings
from accounts.models import (
    AuditEvent,
    AuthorizationCode,
    EmailChange,
    EndedGrant,
    OutboxMessage,
    RevokedAccessToken,
    SSOSession,
)

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class Rule:
    name: str
    stale: Callable[[datetime], QuerySet]  # the rows stale at this moment


def _ended_sessions(now: datetime) -> QuerySet:
    return SSOSession.objects.filter(ended_at__lt=now - sso_settings().ended_session_retention)


def _expired_refresh_tokens(now: datetime) -> QuerySet:
    # With its OutstandingToken go, by cascade, its blacklist entry and its session link.
    return OutstandingToken.objects.filter(expires_at__lt=now - sso_settings().jwt_leeway)


def _expired_revocations(now: datetime) -> QuerySet:
    return RevokedAccessToken.objects.filter(expires_at__lt=now - sso_settings().jwt_leeway)


def _spent_codes(now: datetime) -> QuerySet:
    # A used code stays while its replay would still have something to revoke
    # (RFC 6749 section 4.1.2): its refresh token row, or its access token's lifetime.
    tokens_expired = now - sso_settings().access_token_lifetime - sso_settings().jwt_leeway
    return AuthorizationCode.objects.filter(expires_at__lt=tokens_expired).filter(
        Q(used_at__isnull=True) | Q(issued_refresh__isnull=True)
    )


def _ended_grants(now: datetime) -> QuerySet:
    # The row refuses the grant's access tokens issued before it ended: none is valid any more.
    return EndedGrant.objects.filter(
        ended_at__lt=now - sso_settings().access_token_lifetime - sso_settings().jwt_leeway
    )


def _settled_outbox(now: datetime) -> QuerySet:
    return OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.DELIVERED, OutboxMessage.Status.FAILED],
        next_attempt_at__lt=now - sso_settings().outbox_retention,
        created_at__lt=now - sso_settings().outbox_retention,
    )


def _expired_email_changes(now: datetime) -> QuerySet:
    return EmailChange.objects.filter(requested_at__lt=now - timedelta(hours=settings.EMAIL_VERIFICATION_HOURS))


def _expired_browser_sessions(now: datetime) -> QuerySet:
    # Django's own table, used when sessions are not in Redis (which expires them itself).
    return Session.objects.filter(expire_date__lt=now)


def _old_audit_events(now: datetime) -> QuerySet:
    # A queryset delete: AuditEvent.delete's append-only guard stands for every other path.
    return AuditEvent.objects.filter(occurred_at__lt=now - sso_settings().audit_retention)


RULES: list[Rule] = [
    Rule("ended SSO sessions", _ended_sessions),
    Rule("expired refresh-token rows", _expired_refresh_tokens),
    Rule("expired access-token revocations", _expired_revocations),
    Rule("spent authorization codes", _spent_codes),
    Rule("ended site grants", _ended_grants),
    Rule("delivered or abandoned outbox messages", _settled_outbox),
    Rule("expired e-mail changes", _expired_email_changes),
    Rule("expired browser sessions", _expired_browser_sessions),
    Rule("audit events past retention", _old_audit_events),
]


def register_rule(rule: Rule) -> None:
    if all(existing.name != rule.name for existing in RULES):
        RULES.append(rule)


def purge_rule(rule: Rule, *, batch_size: int = DEFAULT_BATCH_SIZE, now: datetime | None = None) -> Counter:
    """Deletes every row ``rule`` finds stale; returns the rows removed by table (cascades included).

    What a rule removed is in the audit trail (one event, counts only), also when an error
    stops it half-way: the batches committed before stay deleted and must stay accounted for.
    """
    now = now or timezone.now()
    removed: Counter = Counter()
    try:
        while True:
            with transaction.atomic():
                stale = rule.stale(now)
                batch = list(
                    stale.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:batch_size]
                )
                if not batch:
                    return removed
                _, by_model = stale.model.objects.filter(pk__in=batch).delete()
            for label, count in by_model.items():
                if count:
                    removed[apps.get_model(label)._meta.db_table] += count
    finally:
        if removed:
            record_event(EventType.RETENTION_PURGED, rule=rule.name, removed=dict(sorted(removed.items())))
