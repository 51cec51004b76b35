"""Recording what a grant issued: the refresh token's outstanding row and its
session record, the session's link to the site, and the audit event.

On PostgreSQL the four writes are one statement (one round trip, inside the
caller's transaction when there is one), and a code grant claims its
authorization code in that same statement; elsewhere they go through the ORM
(``sql.one_statement_writes``). Both paths write the same rows; the test suite
runs both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.audit import EventType, record_event
from accounts.audit import logger as audit_logger
from accounts.models import (
    AuditEvent,
    AuthorizationCode,
    PartnerSite,
    RefreshTokenRecord,
    SessionSite,
    SSOSession,
    User,
)
from accounts.oauth import sql
from accounts.sessions import link_session_to_site


@dataclass(frozen=True)
class IssuanceRecord:
    user_id: object
    sso_session: SSOSession
    site: PartnerSite
    grant: str
    link_site: bool
    jti: str
    digest: str  # SHA-256 of the refresh token: its text is never stored
    created_at: datetime
    expires_at: datetime
    scope: str
    access_jti: str = ""
    redeeming_code_id: int | None = None  # claim this authorization code in the same statement


def _writes(source: str) -> str:
    """The issuance's inserts, each made once per row of ``source`` (one row, or none)."""
    return f"""outstanding AS (
    INSERT INTO {OutstandingToken._meta.db_table} (user_id, jti, token, created_at, expires_at)
    SELECT %(user_id)s, %(jti)s, %(token)s, %(created_at)s, %(expires_at)s FROM {source}
    RETURNING id
), record AS (
    INSERT INTO {RefreshTokenRecord._meta.db_table} (outstanding_id, sso_session_id, site_id, scope)
    SELECT id, %(session_id)s, %(site_id)s, %(scope)s FROM outstanding
), link AS (
    INSERT INTO {SessionSite._meta.db_table} (sso_session_id, site_id, first_at)
    SELECT %(session_id)s, %(site_id)s, %(created_at)s FROM {source} WHERE %(link_site)s
    ON CONFLICT DO NOTHING
), audit AS (
    INSERT INTO {AuditEvent._meta.db_table} (occurred_at, event_type, user_id, client_id, sid, network_id, detail)
    SELECT %(created_at)s, %(event)s, %(user_id)s, %(client_id)s, %(sid)s, '', %(detail)s FROM {source}
)"""


RECORD_SQL = f"WITH always AS (SELECT 1), {_writes('always')} SELECT id FROM outstanding"

# The code is claimed in the statement that records what it buys: its row is
# locked, and only an unused, unexpired code of a live session and account
# yields the row the writes depend on. A concurrent redemption waits for the
# lock, then finds the code used, and writes nothing.
REDEEM_SQL = f"""WITH presented AS (
    SELECT c.id FROM {AuthorizationCode._meta.db_table} c
    JOIN {SSOSession._meta.db_table} s ON s.id = c.sso_session_id
    JOIN {User._meta.db_table} u ON u.id = s.user_id
    WHERE c.id = %(code_id)s AND c.site_id = %(site_id)s AND c.used_at IS NULL AND c.expires_at > %(created_at)s
      AND s.ended_at IS NULL AND u.is_active
    FOR UPDATE OF c
), {_writes('presented')}, claimed AS (
    UPDATE {AuthorizationCode._meta.db_table} c
    SET used_at = %(created_at)s, issued_refresh_id = outstanding.id, issued_access_jti = %(access_jti)s
    FROM presented, outstanding WHERE c.id = presented.id
    RETURNING outstanding.id
)
SELECT id FROM claimed"""


class CodeNotRedeemed(Exception):
    """The code was used meanwhile, or its session ended: nothing was written."""


def record_issuance(issuance: IssuanceRecord) -> int:
    """Write the rows of one issuance; returns the outstanding token's id."""
    if not sql.one_statement_writes():
        return _record_through_orm(issuance)
    session = issuance.sso_session
    params = {
        "user_id": issuance.user_id, "jti": issuance.jti, "token": "sha256:" + issuance.digest,
        "created_at": issuance.created_at, "expires_at": issuance.expires_at, "session_id": session.pk,
        "site_id": issuance.site.pk, "scope": issuance.scope, "link_site": issuance.link_site,
        "event": AuditEvent.EventType.TOKEN_ISSUED, "client_id": issuance.site.client_id, "sid": session.sid,
        "detail": json.dumps({"grant": issuance.grant}),
        "code_id": issuance.redeeming_code_id, "access_jti": issuance.access_jti,
    }
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL if issuance.redeeming_code_id is None else REDEEM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise CodeNotRedeemed
    audit_logger.info("audit %s user=%s sid=%s", EventType.TOKEN_ISSUED, issuance.user_id, session.sid[:8])
    return row[0]


def _record_through_orm(issuance: IssuanceRecord) -> int:
    session = issuance.sso_session
    with transaction.atomic(savepoint=False):  # all four rows or none, as the one statement
        outstanding = OutstandingToken.objects.create(
            user_id=issuance.user_id, jti=issuance.jti, token="sha256:" + issuance.digest,
            created_at=issuance.created_at, expires_at=issuance.expires_at,
        )
        RefreshTokenRecord.objects.create(outstanding=outstanding, sso_session=session, site=issuance.site,
                                          scope=issuance.scope)
        if issuance.link_site:
            link_session_to_site(session, issuance.site)
        record_event(EventType.TOKEN_ISSUED, user=session.user, client_id=issuance.site.client_id, sid=session.sid,
                     grant=issuance.grant)
    return outstanding.pk
