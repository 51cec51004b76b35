"""Verifying access tokens presented to the IdP's own APIs (userinfo, REST API)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import SSOSession
from accounts.oauth import denylist
from accounts.oauth.registry import registered_client_ids
from accounts.oauth.tokens import SSOAccessToken


class InvalidAccessToken(Exception):
    pass


@dataclass(frozen=True)
class VerifiedAccess:
    token: SSOAccessToken
    sso_session: SSOSession

    @property
    def scopes(self) -> set[str]:
        return set(str(self.token.get("scope", "")).split())


def verify_access_token(raw: str) -> VerifiedAccess:
    """Signature by a published key, ``typ: at+jwt``, issuer, expiry, and a live session."""
    try:
        token = SSOAccessToken(raw)
    except TokenError as error:
        raise InvalidAccessToken(str(error)) from None
    sid, jti = token.get("sid"), token["jti"]
    if not token.get("client_id") or token.get("aud") not in registered_client_ids():
        raise InvalidAccessToken("The token's audience is not a registered site.")
    if not sid or denylist.access_token_denied(jti, sid):
        raise InvalidAccessToken("The token's session has ended or the token was revoked.")
    session = SSOSession.objects.select_related("user").filter(sid=sid, ended_at__isnull=True).first()
    if session is None or not session.user.is_active:
        raise InvalidAccessToken("The token's session has ended.")
    return VerifiedAccess(token, session)


def bearer_token(authorization_header: str) -> str | None:
    scheme, _, value = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
