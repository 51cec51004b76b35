"""Issuing an authorization code on PostgreSQL: consent check, the session's link
to the site and the code itself in one statement.

Silent SSO (a signed-in user at a site already consented to) is the
authorization endpoint's common case. Through the ORM it costs three round
trips: read the consent, link the session to the site, insert the code. Here it
is one statement, one round trip and one transaction, which writes the link and
the code only when the site is first party or the user's consent covers every
requested scope, and says whether it did. When it did not, nothing is written
and the caller shows the consent page.
"""

from __future__ import annotations

import json

from django.db import connection

from accounts.models import AuthorizationCode, Consent, SessionSite

_T = {
    "consent": Consent._meta.db_table,
    "link": SessionSite._meta.db_table,
    "code": AuthorizationCode._meta.db_table,
}

ISSUE_SQL = """
WITH consented AS (
    SELECT 1 WHERE %(first_party)s OR EXISTS (
        SELECT 1 FROM {consent} c
        WHERE c.user_id = %(user_id)s AND c.site_id = %(site_id)s AND c.scopes @> %(scopes)s::jsonb
    )
), link AS (
    INSERT INTO {link} (sso_session_id, site_id, first_at)
    SELECT %(sso_session_id)s, %(site_id)s, %(now)s FROM consented
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
""".format(**_T)


def insert_if_consented(*, first_party: bool, user_id, site_id: int, sso_session_id: int, scopes: list[str],
                        code_hash: str, redirect_uri: str, nonce: str, code_challenge: str, auth_time, now,
                        expires_at) -> bool:
    """Link the session to the site and store the code, if consented; True when written."""
    with connection.cursor() as cursor:
        cursor.execute(ISSUE_SQL, {
            "first_party": first_party, "user_id": user_id, "site_id": site_id, "sso_session_id": sso_session_id,
            "scopes": json.dumps(scopes), "scope": " ".join(scopes), "code_hash": code_hash,
            "redirect_uri": redirect_uri, "nonce": nonce, "code_challenge": code_challenge,
            "auth_time": auth_time, "now": now, "expires_at": expires_at,
        })
        return cursor.fetchone()[0]
