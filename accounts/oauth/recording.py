"""Recording what a grant issued: the refresh token's outstanding row and its
session record, the session's link to the site, and the audit event.

On PostgreSQL the four writes are one statement (one round trip, inside the
caller's transaction when there is one); elsewhere they go through the ORM.
Both paths write the same rows; the test suite runs both.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.audit import EventType, record_event
from accounts.models import AuditEvent, PartnerSite, RefreshTokenRecord, SessionSite, SSOSession
from accounts.oauth import rotation
from accounts.sessions import link_session_to_site

audit_logger = logging.getLogger("accounts.audit")


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


RECORD_SQL = """
WITH outstanding AS (
    INSERT INTO {outstanding} (user_id, jti, token, created_at, expires_at)
    VALUES (%(user_id)s, %(jti)s, %(token)s, %(created_at)s, %(expires_at)s)
    RETURNING id
), record AS (
    INSERT INTO {record} (outstanding_id, sso_session_id, site_id, scope)
    SELECT id, %(session_id)s, %(site_id)s, %(scope)s FROM outstanding
), link AS (
    INSERT INTO {link} (sso_session_id, site_id, first_at)
    SELECT %(session_id)s, %(site_id)s, %(created_at)s WHERE %(link_site)s
    ON CONFLICT DO NOTHING
), audit AS (
    INSERT INTO {audit} (occurred_at, event_type, user_id, client_id, sid, network_id, detail)
    VALUES (%(created_at)s, %(event)s, %(user_id)s, %(client_id)s, %(sid)s, '', %(detail)s)
)
SELECT id FROM outstanding
""".format(outstanding=OutstandingToken._meta.db_table, record=RefreshTokenRecord._meta.db_table,
           link=SessionSite._meta.db_table, audit=AuditEvent._meta.db_table)


def record_issuance(issuance: IssuanceRecord) -> int:
    """Write the rows of one issuance; returns the outstanding token's id."""
    if not rotation.available():
        return _record_through_orm(issuance)
    session = issuance.sso_session
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, {
            "user_id": issuance.user_id, "jti": issuance.jti, "token": "sha256:" + issuance.digest,
            "created_at": issuance.created_at, "expires_at": issuance.expires_at, "session_id": session.pk,
            "site_id": issuance.site.pk, "scope": issuance.scope, "link_site": issuance.link_site,
            "event": AuditEvent.EventType.TOKEN_ISSUED, "client_id": issuance.site.client_id, "sid": session.sid,
            "detail": json.dumps({"grant": issuance.grant}),
        })
        (outstanding_id,) = cursor.fetchone()
    audit_logger.info("audit %s user=%s sid=%s", EventType.TOKEN_ISSUED, issuance.user_id, session.sid[:8])
    return outstanding_id


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
