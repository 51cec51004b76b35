"""Verifying access tokens presented to the IdP: at its own APIs (userinfo, REST
API) and as the subject or actor of a token exchange."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import PartnerSite, SSOSession
from accounts.oauth import denylist
from accounts.oauth.registry import active_site
from accounts.oauth.sector_sid import internal_sid
from accounts.oauth.tokens import SSOAccessToken


class InvalidAccessToken(Exception):
    pass


@dataclass(frozen=True)
class VerifiedAccess:
    token: SSOAccessToken
    sso_session: SSOSession
    audience_site: PartnerSite

    @property
    def scopes(self) -> set[str]:
        return set(str(self.token.get("scope", "")).split())


def _parsed(raw: str) -> SSOAccessToken:
    try:
        return SSOAccessToken(raw)
    except TokenError as error:
        raise InvalidAccessToken(str(error)) from None


def verify_access_token(raw: str, *, audience: str | None = None) -> VerifiedAccess:
    """Signature by a published key, ``typ: at+jwt``, issuer, expiry, audience, and a live
    session and grant.

    Without ``audience`` the token must be one its client obtained for itself
    (``aud`` = ``client_id``): the IdP's own APIs accept no token that was
    exchanged for another site's API (RFC 9068 section 4; RFC 8707).
    """
    return check_access_token(_parsed(raw), audience=audience)


def check_access_token(token: SSOAccessToken, *, audience: str | None = None) -> VerifiedAccess:
    """``verify_access_token``'s checks beyond the signature, for a token already parsed."""
    client_id, aud = token.get("client_id"), token.get("aud")
    expected = audience if audience is not None else client_id
    if not client_id or not isinstance(aud, str) or aud != expected:
        raise InvalidAccessToken("The token was not issued for this audience.")
    audience_site = active_site(aud)
    if audience_site is None or active_site(client_id) is None:
        raise InvalidAccessToken("The token's audience is not a registered site.")
    sid = internal_sid(token.get("sid"), audience_site)
    if sid is None or denylist.access_token_denied(
        token["jti"], sid, client_ids={client_id, aud}, issued_at=int(token.get("iat", 0))
    ):
        raise InvalidAccessToken("The token's session has ended or the token was revoked.")
    session = SSOSession.objects.select_related("user").filter(sid=sid, ended_at__isnull=True).first()
    if session is None or not session.user.is_active:
        raise InvalidAccessToken("The token's session has ended.")
    return VerifiedAccess(token, session, audience_site)


def verify_client_token(raw: str, client_id: str) -> SSOAccessToken:
    """The client ``client_id``'s own token (client_credentials): no user, no session."""
    token = _parsed(raw)
    if (
        token.get("sub") != client_id
        or token.get("client_id") != client_id
        or token.get("aud") != client_id
        or "sid" in token
    ):
        raise InvalidAccessToken("The token is not this client's own client_credentials token.")
    if active_site(client_id) is None or denylist.access_token_revoked(token["jti"]):
        raise InvalidAccessToken("The token was revoked.")
    return token


def bearer_token(authorization_header: str) -> str | None:
    scheme, _, value = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
