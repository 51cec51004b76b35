"""A password login's writes on PostgreSQL in one statement: the user's
``last_login``, the new SSO session and its ``login_success`` audit event.

Through the ORM they are three statements in a transaction: five round trips
(BEGIN, two INSERTs, an UPDATE, COMMIT) on every login. One ``WITH`` statement
is atomic by itself: all three rows or none.
"""

from __future__ import annotations

from datetime import datetime

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


def insert_started_session(session: SSOSession, now: datetime) -> None:
    """Store the unsaved ``session`` (its sid, user and network set) begun at ``now``."""
    with connection.cursor() as cursor:
        cursor.execute(START_SQL, {"now": now, "user_id": session.user_id, "sid": session.sid,
                                   "network_id": session.network_id, "event": EventType.LOGIN_SUCCESS})
        session.pk = cursor.fetchone()[0]
    session._state.adding = False
    session.started_at = session.auth_time = session.last_used_at = now
