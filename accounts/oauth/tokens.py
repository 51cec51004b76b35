"""Token kinds: simplejwt ``Token`` subclasses, each with its JWT ``typ`` and lifetime.

A token of one kind never verifies as another: the ``typ`` header (checked by
the backend) and simplejwt's ``token_use`` claim (checked by ``Token.verify``)
must both match.
"""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.tokens import BlacklistMixin, Token

from accounts.conf import sso_settings
from accounts.oauth.keyring import SigningKey
from accounts.oauth.token_backend import KeyRingTokenBackend


class SSOToken(Token):
    jwt_typ: str = "JWT"
    issuer_only: bool = False  # read by this provider alone: MAC'd, not signed
    audience: str | None = None

    def __init__(self, token: str | None = None, verify: bool = True, *, audience: str | None = None):
        self.audience = audience
        super().__init__(token, verify=verify)

    @property
    def token_backend(self) -> KeyRingTokenBackend:
        return KeyRingTokenBackend(self.jwt_typ, audience=self.audience, issuer_only=self.issuer_only)

    def signed_with(self, key: SigningKey) -> str:
        """The token signed (or MAC'd) under ``key``: the key of the site it is for."""
        return self.token_backend.encode(self.payload, key)

    def set_claims(self, **claims: Any) -> "SSOToken":
        for name, value in claims.items():
            if value is not None:
                self.payload[name] = value
        return self


class SSOAccessToken(SSOToken):
    """RFC 9068 access token: iss, sub, aud, exp, iat, jti, client_id, scope, sid."""

    token_type = "access"
    jwt_typ = "at+jwt"
    lifetime = sso_settings().access_token_lifetime


class IDToken(SSOToken):
    """OpenID Connect ID token; email/name only with the consented scopes."""

    token_type = "id"
    jwt_typ = "JWT"
    lifetime = sso_settings().id_token_lifetime


class SSORefreshToken(BlacklistMixin, SSOToken):
    """Refresh token: rotated at every use, revocable through simplejwt's blacklist.

    Only its ``jti`` and a SHA-256 digest are stored (accounts.oauth.refresh),
    never the token text that simplejwt's OutstandingToken would keep. Only this
    provider reads it, so it is MAC'd under the ring key, not signed.
    """

    token_type = "refresh"
    jwt_typ = "rt+jwt"
    issuer_only = True
    lifetime = sso_settings().refresh_token_lifetime

    def verify(self) -> None:
        # Signature, expiry, jti and type only: the refresh grant checks the
        # blacklist itself, under a row lock, to tell a revoked token from a
        # rotated one presented again (which ends the whole SSO session).
        Token.verify(self)


class LogoutToken(SSOToken):
    """OpenID Connect Back-Channel Logout 1.0 logout token (never has ``nonce``)."""

    token_type = "logout"
    jwt_typ = "logout+jwt"
    lifetime = sso_settings().logout_token_lifetime
