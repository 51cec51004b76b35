"""The store on PostgreSQL: every write of ``accounts.store`` in one statement.

Through the ORM a refresh costs a transaction of eight statements and a code
redemption five; here each is one data-modifying statement (``WITH ...
UPDATE/INSERT``), one round trip and one transaction. Nothing is skipped: the
presented credential's row is locked (``FOR UPDATE``, so of concurrent uses
exactly one wins), every rule the ORM twin checks is checked in the statement,
and when one refuses nothing is written and the row of flags says which.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.audit import EventType
from accounts.audit import logger as audit_logger
from accounts.models import (
    AuditEvent,
    AuthorizationCode,
    Consent,
    RefreshTokenRecord,
    SessionSite,
    SiteAccount,
    SSOSession,
    User,
)
from accounts.store import Issuance, NewCode, Outcome, Rotation, Written

T = {
    "code": AuthorizationCode._meta.db_table,
    "consent": Consent._meta.db_table,
    "record": RefreshTokenRecord._meta.db_table,
    "outstanding": OutstandingToken._meta.db_table,
    "blacklisted": BlacklistedToken._meta.db_table,
    "link": SessionSite._meta.db_table,
    "known": SiteAccount._meta.db_table,
    "session": SSOSession._meta.db_table,
    "user": User._meta.db_table,
    "audit": AuditEvent._meta.db_table,
}


def _issuance_writes(source: str) -> str:
    """An issuance's inserts, each made once per row of ``source`` (one row, or none)."""
    return f"""outstanding AS (
    INSERT INTO {T["outstanding"]} (user_id, jti, token, created_at, expires_at)
    SELECT %(user_id)s, %(jti)s, %(token)s, %(created_at)s, %(expires_at)s FROM {source}
    RETURNING id
), record AS (
    INSERT INTO {T["record"]} (outstanding_id, sso_session_id, site_id, scope)
    SELECT id, %(session_id)s, %(site_id)s, %(scope)s FROM outstanding
), link AS (
    INSERT INTO {T["link"]} (sso_session_id, site_id, first_at)
    SELECT %(session_id)s, %(site_id)s, %(created_at)s FROM {source} WHERE %(link_site)s
    ON CONFLICT DO NOTHING
    RETURNING site_id
), known AS (
    INSERT INTO {T["known"]} (user_id, site_id, first_at)
    SELECT %(user_id)s, site_id, %(created_at)s FROM link
    ON CONFLICT DO NOTHING
), audit AS (
    INSERT INTO {T["audit"]} (occurred_at, event_type, user_id, client_id, sid, network_id, detail)
    SELECT %(created_at)s, %(event)s, %(user_id)s, %(client_id)s, %(sid)s, '', %(detail)s FROM {source}
)"""


RECORD_SQL = f"WITH always AS (SELECT 1), {_issuance_writes('always')} SELECT TRUE, TRUE, TRUE, id FROM outstanding"

# The code is claimed by the statement that records what it buys: only an
# unused, unexpired code of a live session and account yields the row the
# writes depend on. A concurrent redemption waits for the lock, then finds the
# code used, and writes nothing.
REDEEM_SQL = f"""WITH presented AS (
    SELECT c.id, c.used_at IS NULL AS unused, c.expires_at > %(created_at)s AS fresh,
           (s.ended_at IS NULL AND u.is_active) AS live
    FROM {T["code"]} c
    JOIN {T["session"]} s ON s.id = c.sso_session_id
    JOIN {T["user"]} u ON u.id = s.user_id
    WHERE c.id = %(code_id)s AND c.site_id = %(site_id)s
    FOR UPDATE OF c
), claimable AS (
    SELECT id FROM presented WHERE unused AND fresh AND live
), {_issuance_writes("claimable")}, claimed AS (
    UPDATE {T["code"]} c
    SET used_at = %(created_at)s, issued_refresh_id = outstanding.id, issued_access_jti = %(access_jti)s
    FROM claimable, outstanding WHERE c.id = claimable.id
    RETURNING outstanding.id
)
SELECT p.unused, p.fresh, p.live, (SELECT id FROM claimed) FROM presented p"""

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
SELECT p.rotated, p.blacklisted, p.live, p.sso_session_id, p.user_id, (SELECT id FROM successor) FROM presented p
""".format(**T)

# Silent SSO's writes: the link and the code only when the site is first party
# or the user's consent covers every requested scope (authorize.needs_consent_for).
CODE_SQL = """
WITH consented AS (
    SELECT 1 WHERE %(first_party)s OR EXISTS (
        SELECT 1 FROM {consent} c
        WHERE c.user_id = %(user_id)s AND c.site_id = %(site_id)s AND c.scopes @> %(scopes)s::jsonb
    )
), link AS (
    INSERT INTO {link} (sso_session_id, site_id, first_at)
    SELECT %(sso_session_id)s, %(site_id)s, %(now)s FROM consented
    ON CONFLICT DO NOTHING
    RETURNING site_id
), known AS (
    INSERT INTO {known} (user_id, site_id, first_at)
    SELECT %(user_id)s, site_id, %(now)s FROM link
    ON CONFLICT DO NOTHING
), code AS (
    INSERT INTO {code} (code_hash, site_id, user_id, sso_session_id, redirect_uri, scope, nonce, code_challenge,
                        auth_time, created_at, expires_at, used_at, issued_refresh_id, issued_access_jti)
    SELECT %(code_hash)s, %(site_id)s, %(user_id)s, %(sso_session_id)s, %(redirect_uri)s, %(scope)s, %(nonce)s,
           %(code_challenge)s, %(auth_time)s, %(now)s, %(expires_at)s, NULL, NULL, ''
    FROM consented
    RETURNING id
)
SELECT EXISTS (SELECT 1 FROM code)
""".format(**T)

SESSION_SQL = f"""
WITH signed_in AS (
    UPDATE {T["user"]} SET last_login = %(now)s WHERE id = %(user_id)s
), audit AS (
    INSERT INTO {T["audit"]} (occurred_at, event_type, user_id, actor_id, client_id, sid, network_id, detail)
    VALUES (%(now)s, %(event)s, %(user_id)s, NULL, '', %(sid)s, %(network_id)s, %(detail)s)
)
INSERT INTO {T["session"]} (sid, user_id, started_at, auth_time, last_used_at, ended_at, end_reason, network_id,
                            auth_methods, device)
VALUES (%(sid)s, %(user_id)s, %(now)s, %(now)s, %(now)s, NULL, '', %(network_id)s, %(auth_methods)s, %(device)s)
RETURNING id
"""


def _fetch(sql: str, params: dict) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class OneStatementStore:
    def record_issuance(self, issuance: Issuance) -> Written:
        session, refresh = issuance.sso_session, issuance.refresh
        row = _fetch(
            RECORD_SQL if issuance.redeeming_code_id is None else REDEEM_SQL,
            {
                "user_id": issuance.user_id,
                "jti": refresh.jti,
                "token": "sha256:" + refresh.digest,
                "created_at": refresh.created_at,
                "expires_at": refresh.expires_at,
                "session_id": session.pk,
                "site_id": issuance.site.pk,
                "scope": refresh.scope,
                "link_site": issuance.link_site,
                "event": EventType.TOKEN_ISSUED,
                "client_id": issuance.site.client_id,
                "sid": session.sid,
                "detail": json.dumps({"grant": issuance.grant}),
                "code_id": issuance.redeeming_code_id,
                "access_jti": issuance.access_jti,
            },
        )
        if row is None:
            return Written(Outcome.UNKNOWN)
        unused, fresh, live, outstanding_id = row
        if outstanding_id is None:
            return Written(Outcome.REUSED if not unused else Outcome.EXPIRED if not fresh else Outcome.SESSION_ENDED)
        audit_logger.info("audit %s user=%s sid=%s", EventType.TOKEN_ISSUED, issuance.user_id, session.sid[:8])
        return Written(Outcome.WRITTEN, outstanding_id, session.pk, issuance.user_id)

    def rotate_refresh_token(self, rotation: Rotation) -> Written:
        successor = rotation.successor
        row = _fetch(
            ROTATE_SQL,
            {
                "jti": rotation.jti,
                "site_id": rotation.site.pk,
                "granted": rotation.granted_scope,
                "now": successor.created_at,
                "new_jti": successor.jti,
                "new_digest": "sha256:" + successor.digest,
                "new_expires_at": successor.expires_at,
                "new_scope": successor.scope,
                "event": EventType.TOKEN_ISSUED,
                "client_id": rotation.site.client_id,
                "detail": json.dumps({"grant": "refresh_token"}),
            },
        )
        if row is None:
            return Written(Outcome.UNKNOWN)
        rotated, blacklisted, live, sso_session_id, user_id, outstanding_id = row
        if outstanding_id is not None:
            audit_logger.info("audit %s user=%s session=%s", EventType.TOKEN_ISSUED, user_id, sso_session_id)
            return Written(Outcome.WRITTEN, outstanding_id, sso_session_id, user_id)
        if rotated or (not blacklisted and live):
            outcome = Outcome.REUSED  # before, or by a concurrent request that held the row first
        else:
            outcome = Outcome.REVOKED if blacklisted else Outcome.SESSION_ENDED
        return Written(outcome, None, sso_session_id, user_id)

    def insert_code_if_consented(self, code: NewCode) -> Written:
        session = code.sso_session
        (written,) = _fetch(
            CODE_SQL,
            {
                "first_party": code.site.first_party,
                "user_id": session.user_id,
                "site_id": code.site.pk,
                "sso_session_id": session.pk,
                "scopes": json.dumps(list(code.scopes)),
                "scope": " ".join(code.scopes),
                "code_hash": code.code_hash,
                "redirect_uri": code.redirect_uri,
                "nonce": code.nonce,
                "code_challenge": code.code_challenge,
                "auth_time": session.auth_time,
                "now": code.created_at,
                "expires_at": code.expires_at,
            },
        )
        return Written(Outcome.WRITTEN if written else Outcome.NOT_CONSENTED, sso_session_id=session.pk)

    def insert_sso_session(self, session: SSOSession, now: datetime) -> None:
        (session.pk,) = _fetch(
            SESSION_SQL,
            {
                "now": now,
                "user_id": session.user_id,
                "sid": session.sid,
                "network_id": session.network_id,
                "event": EventType.LOGIN_SUCCESS,
                "auth_methods": session.auth_methods,
                "device": session.device,
                "detail": json.dumps({"methods": session.auth_methods.split()}),
            },
        )
        session._state.adding = False
        session.started_at = session.auth_time = session.last_used_at = now
        audit_logger.info("audit %s user=%s sid=%s", EventType.LOGIN_SUCCESS, session.user_id, session.sid[:8])


STORE = OneStatementStore()
