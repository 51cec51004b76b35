"""A password login's writes on PostgreSQL in one statement: the user's
``last_login``, the new SSO session, its ``login_success`` audit event and, when
the browser's session store can hand it over, the browser session's row.

Through the ORM they are four statements in two transactions: eight round trips
(BEGIN, two INSERTs, an UPDATE, COMMIT, and BEGIN, INSERT, COMMIT for the
session row) on every login. One ``WITH`` statement is atomic by itself: every
row or none.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.models import Session
from django.db import connection

from accounts.audit import EventType
from accounts.models import AuditEvent, SSOSession, User

START_SQL = f"""
WITH signed_in AS (
    UPDATE {User._meta.db_table} SET last_login = %(now)s WHERE id = %(user_id)s
), audit AS (
    INSERT INTO {AuditEvent._meta.db_table} (occurred_at, event_type, user_id, actor_id, client_id, sid, network_id, detail)
    VALUES (%(now)s, %(event)s, %(user_id)s, NULL, '', %(sid)s, %(network_id)s, '{{}}')
)
INSERT INTO {SSOSession._meta.db_table} (sid, user_id, started_at, auth_time, last_used_at, ended_at, end_reason, network_id)
VALUES (%(sid)s, %(user_id)s, %(now)s, %(now)s, %(now)s, NULL, '', %(network_id)s)
RETURNING id
"""

WITH_BROWSER_SESSION_SQL = START_SQL.replace("WITH signed_in AS (", f"""WITH browser_session AS (
    INSERT INTO {Session._meta.db_table} (session_key, session_data, expire_date)
    VALUES (%(session_key)s, %(session_data)s, %(session_expires)s)
), signed_in AS (""")


def insert_started_session(session: SSOSession, now: datetime, browser_row: tuple | None = None) -> None:
    """Store the unsaved ``session`` (its sid, user and network set) begun at
    ``now``, and the browser session's ``browser_row`` (key, data, expiry) if given."""
    params = {"now": now, "user_id": session.user_id, "sid": session.sid, "network_id": session.network_id,
              "event": EventType.LOGIN_SUCCESS}
    statement = START_SQL
    if browser_row is not None:
        statement = WITH_BROWSER_SESSION_SQL
        params.update(zip(("session_key", "session_data", "session_expires"), browser_row, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        session.pk = cursor.fetchone()[0]
    session._state.adding = False
    session.started_at = session.auth_time = session.last_used_at = now
