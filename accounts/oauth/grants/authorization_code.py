"""RFC 6749 section 4.1.3 with PKCE (RFC 7636 section 4.6): redeeming an authorization code.

The code is read without a lock and checked; the tokens are minted and the store
claims the code in the write that records them, so of two redemptions exactly
one succeeds. A code presented again (before, or by the redemption that lost)
revokes everything its first use issued (section 4.1.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.joined_rows import JoinedRead, Part
from accounts.models import AuthorizationCode, SSOSession, User, token_digest
from accounts.oauth.errors import invalid_grant, invalid_request
from accounts.oauth.issuance import NotIssued, issue_tokens
from accounts.oauth.token_request import TokenRequest
from accounts.site_grants import GrantEndReason, end_site_grant
from accounts.store import Outcome

CODE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 section 4.1

REFUSALS = {
    Outcome.UNKNOWN: "The authorization code is invalid.",
    Outcome.REUSED: "The authorization code was already used; its tokens are revoked.",
    Outcome.EXPIRED: "The authorization code has expired.",
    Outcome.SESSION_ENDED: "The sign-in session has ended.",
}

_CODE, _SESSION, _USER = Part.of(AuthorizationCode, "c"), Part.of(SSOSession, "s"), Part.of(User, "u")
_CODE_BY_HASH = JoinedRead(
    [_CODE, _SESSION, _USER],
    f"""
    FROM {_CODE.table} JOIN {_SESSION.table} ON s.id = c.sso_session_id JOIN {_USER.table} ON u.id = s.user_id
    WHERE c.code_hash = %s""",
)


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


def grant(request: TokenRequest) -> dict[str, object]:
    site, params = request.site, request.params
    code = request.required("code")
    redirect_uri = request.required("redirect_uri")
    verifier = request.required("code_verifier")
    if not CODE_VERIFIER.match(verifier):
        raise invalid_request("code_verifier must be 43 to 128 unreserved characters")

    row = _CODE_BY_HASH.fetch_related([token_digest(code)], "sso_session", "user")
    if row is None or row.site_id != site.pk:
        raise invalid_grant(REFUSALS[Outcome.UNKNOWN])
    outcome = Outcome.REUSED
    if row.used_at is None:
        _check_redeemable(row, redirect_uri, verifier)
        try:
            issued = issue_tokens(
                site=site,
                sso_session=row.sso_session,
                scopes=row.scope.split(),
                grant="authorization_code",
                nonce=row.nonce,
                params=params,
                link_site=False,
                redeeming_code_id=row.pk,
            )
        except NotIssued as refused:
            outcome = refused.written.outcome
        else:
            return issued.response_body()
    if outcome is Outcome.REUSED:
        # Every token issued from the code, the refresh tokens rotated from it and
        # their access tokens included: the site's whole grant in that session.
        record_event(
            EventType.AUTHORIZATION_CODE_REUSE,
            user=row.sso_session.user,
            client_id=site.client_id,
            sid=row.sso_session.sid,
        )
        end_site_grant(site, [row.sso_session], GrantEndReason.AUTHORIZATION_CODE_REUSE, notify=True)
    raise invalid_grant(REFUSALS[outcome])


def _check_redeemable(row: AuthorizationCode, redirect_uri: str, verifier: str) -> None:
    if row.expires_at <= timezone.now():
        raise invalid_grant(REFUSALS[Outcome.EXPIRED])
    if row.redirect_uri != redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request.")
    if not pkce_matches(verifier, row.code_challenge):
        raise invalid_grant("code_verifier does not match the code_challenge.")
    if not row.sso_session.is_active or not row.sso_session.user.is_active:
        raise invalid_grant(REFUSALS[Outcome.SESSION_ENDED])
