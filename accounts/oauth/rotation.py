"""Refresh-token rotation on PostgreSQL: every check and every write in one statement.

The refresh grant is the hottest write path of the provider. Done through the
ORM it costs a transaction of eight statements; here it is one data-modifying
statement (PostgreSQL's ``WITH ... UPDATE/INSERT``), which is also one
transaction. Nothing is skipped: the presented token's record is locked
(``FOR UPDATE``, so of concurrent uses exactly one wins), and it is rotated,
blacklisted and replaced only when it belongs to the calling client with the
scope it was issued for, was never rotated, is not blacklisted, and its SSO
session and account are live. Otherwise nothing is written and the outcome
says which rule refused it, so the caller can apply the reuse policy.

Other databases (``sql.one_statement_writes``) and Native SSO refreshes, which
also mint an ID token and a device secret, take the ORM path in ``grants``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import AuditEvent, RefreshTokenRecord, SSOSession, User


class Outcome(enum.Enum):
    ROTATED = "rotated"
    UNKNOWN = "unknown"  # no such token for this client and scope
    REUSED = "reused"  # rotated before: the reuse policy applies
    REVOKED = "revoked"
    SESSION_ENDED = "session_ended"


@dataclass(frozen=True)
class Rotation:
    outcome: Outcome
    sso_session_id: int | None = None
    user_id: object | None = None


@dataclass(frozen=True)
class Replacement:
    """The already-signed successor token, as it is to be recorded."""

    jti: str
    digest: str
    created_at: datetime
    expires_at: datetime
    scope: str


_T = {
    "record": RefreshTokenRecord._meta.db_table,
    "outstanding": OutstandingToken._meta.db_table,
    "blacklisted": BlacklistedToken._meta.db_table,
    "session": SSOSession._meta.db_table,
    "user": User._meta.db_table,
    "audit": AuditEvent._meta.db_table,
}

ROTATE_SQL = """
WITH presented AS (
    SELECT r.id, r.outstanding_id, r.sso_session_id, s.sid, s.user_id, r.rotated_at IS NOT NULL AS rotated,
           EXISTS (SELECT 1 FROM {blacklisted} b WHERE b.token_id = r.outstanding_id) AS blacklisted,
           (s.ended_at IS NULL AND u.is_active) AS live
    FROM {record} r
    JOIN {outstanding} o ON o.id = r.outstanding_id
    JOIN {session} s ON s.id = r.sso_session_id
    JOIN {user} u ON u.id = s.user_id
    WHERE o.jti = %(jti)s AND r.site_id = %(site_id)s AND r.scope = %(granted)s
    FOR UPDATE OF r
), rotated AS (
    UPDATE {record} r SET rotated_at = %(now)s
    FROM presented p
    WHERE r.id = p.id AND r.rotated_at IS NULL AND NOT p.rotated AND NOT p.blacklisted AND p.live
    RETURNING p.outstanding_id, p.sso_session_id, p.sid, p.user_id
), blacklisted AS (
    INSERT INTO {blacklisted} (token_id, blacklisted_at) SELECT outstanding_id, %(now)s FROM rotated
), successor AS (
    INSERT INTO {outstanding} (user_id, jti, token, created_at, expires_at)
    SELECT user_id, %(new_jti)s, %(new_digest)s, %(now)s, %(new_expires_at)s FROM rotated
    RETURNING id
), successor_record AS (
    INSERT INTO {record} (outstanding_id, sso_session_id, site_id, scope)
    SELECT successor.id, rotated.sso_session_id, %(site_id)s, %(new_scope)s FROM successor, rotated
), audit AS (
    INSERT INTO {audit} (occurred_at, event_type, user_id, client_id, sid, network_id, detail)
    SELECT %(now)s, %(event)s, user_id, %(client_id)s, sid, '', %(detail)s FROM rotated
)
SELECT p.rotated, p.blacklisted, p.live, p.sso_session_id, p.user_id, EXISTS (SELECT 1 FROM rotated) FROM presented p
""".format(**_T)


def rotate(*, jti: str, site_id: int, client_id: str, granted_scope: str, successor: Replacement) -> Rotation:
    """Rotate the refresh token ``jti`` of ``site_id`` into ``successor``, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(ROTATE_SQL, {
            "jti": jti, "site_id": site_id, "granted": granted_scope, "now": successor.created_at,
            "new_jti": successor.jti, "new_digest": "sha256:" + successor.digest,
            "new_expires_at": successor.expires_at, "new_scope": successor.scope,
            "event": AuditEvent.EventType.TOKEN_ISSUED, "client_id": client_id,
            "detail": json.dumps({"grant": "refresh_token"}),
        })
        row = cursor.fetchone()
    if row is None:
        return Rotation(Outcome.UNKNOWN)
    rotated, blacklisted, live, sso_session_id, user_id, done = row
    if rotated or (not done and not blacklisted and live):
        # Rotated before, or by a concurrent request that held the row first.
        outcome = Outcome.REUSED
    elif blacklisted:
        outcome = Outcome.REVOKED
    elif not live:
        outcome = Outcome.SESSION_ENDED
    else:
        outcome = Outcome.ROTATED
    return Rotation(outcome, sso_session_id, user_id)
