"""RFC 6749 section 6: the refresh grant, with rotation.

A refresh token is used once: the store rotates it into its successor in one
write, or refuses and says why. A rotated token presented again ends the whole
SSO session (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2), and so does a
refused scope if the token turns out to be a rotated one: a scope error must not
hide a replay. The successor keeps the presented token's scope; only the access
token is narrowed.
"""

from __future__ import annotations

from rest_framework_simplejwt.exceptions import TokenError

from accounts.audit import EventType, record_event
from accounts.models import RefreshTokenRecord, SSOSession
from accounts.oauth.claims import subject_for
from accounts.oauth.errors import OAuthError, invalid_grant
from accounts.oauth.issuance import NotIssued, rotate_tokens
from accounts.oauth.sector_sid import internal_sid, sid_for
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSORefreshToken
from accounts.sessions import EndReason, end_sso_session
from accounts.store import Outcome

REFUSALS = {
    Outcome.UNKNOWN: "The refresh token is invalid.",
    Outcome.REUSED: "The refresh token was already used; the session has been ended.",
    Outcome.REVOKED: "The refresh token has been revoked.",
    Outcome.SESSION_ENDED: "The sign-in session has ended.",
}


def grant(request: TokenRequest) -> dict[str, object]:
    site, params = request.site, request.params
    try:
        token = SSORefreshToken(request.required("refresh_token"))
    except TokenError:
        raise invalid_grant("The refresh token is invalid or expired.") from None
    granted = str(token.get("scope", "")).split()
    requested = params.get("scope", "").split() or granted
    if not set(requested) <= set(granted):
        record = _record_of(token, site)
        if record is not None and record.rotated_at is not None:
            _end_session_for_reuse(record.sso_session, site)
            raise invalid_grant(REFUSALS[Outcome.REUSED])
        raise OAuthError("invalid_scope", "The requested scope exceeds the scope originally granted.")
    scopes = [scope for scope in granted if scope in requested]

    # The successors are made from the presented token's claims (its MAC was
    # checked, and the store checks them against its record), so a refresh reads
    # nothing before its one write. Where more is needed (an ID token for Native
    # SSO, or a token from before sids were per sector, OIDC Core 17.3) the
    # session is read first.
    sub, sid, session = token.get("sub"), token.get("sid"), None
    if "device_sso" in scopes or not sub or internal_sid(sid, site) is None:
        record = _record_of(token, site)
        if record is None:
            raise invalid_grant(REFUSALS[Outcome.UNKNOWN])
        session = record.sso_session
        sub, sid = subject_for(session.user, site), sid_for(session.sid, site)
    try:
        issued = rotate_tokens(
            site=site,
            presented=token,
            scopes=scopes,
            granted=granted,
            sub=str(sub),
            sid=str(sid),
            sso_session=session,
            params=params,
        )
    except NotIssued as refused:
        written = refused.written
        if written.outcome is Outcome.REUSED:
            _end_session_for_reuse(SSOSession.objects.select_related("user").get(pk=written.sso_session_id), site)
        raise invalid_grant(REFUSALS[written.outcome]) from None
    return issued.response_body()


def _record_of(token: SSORefreshToken, site) -> RefreshTokenRecord | None:
    return (
        RefreshTokenRecord.objects.select_related("sso_session__user")
        .filter(outstanding__jti=token["jti"], site=site)
        .first()
    )


def _end_session_for_reuse(session: SSOSession, site) -> None:
    record_event(EventType.REFRESH_TOKEN_REUSE, user=session.user, client_id=site.client_id, sid=session.sid)
    end_sso_session(session, EndReason.REFRESH_TOKEN_REUSE)
