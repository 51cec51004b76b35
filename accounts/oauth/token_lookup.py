"""Reading a token of unknown kind (revocation, introspection, id_token_hint)."""

from __future__ import annotations

import jwt
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError

from accounts.oauth.token_backend import KeyRingTokenBackend, unverified_header
from accounts.oauth.tokens import IDToken, SSOAccessToken, SSORefreshToken

ACCESS, REFRESH = "access_token", "refresh_token"
KINDS = {SSOAccessToken.jwt_typ: (ACCESS, SSOAccessToken), SSORefreshToken.jwt_typ: (REFRESH, SSORefreshToken)}


def identify_token(raw: str) -> tuple[str, SSOAccessToken | SSORefreshToken] | None:
    """(kind, verified token) for a valid access or refresh token of ours, else None."""
    try:
        typ = str(unverified_header(raw).get("typ", "")).lower()
    except TokenBackendError:
        return None
    kind = KINDS.get(typ)
    if kind is None:
        return None
    try:
        return kind[0], kind[1](raw)
    except TokenError:
        return None


def read_id_token_hint(raw: str) -> dict | None:
    """Claims of an ID token we issued, expired or not (RP-Initiated Logout 1.0 section 2)."""
    try:
        claims = KeyRingTokenBackend(IDToken.jwt_typ, verify_exp=False).decode(raw)
    except (TokenBackendError, jwt.InvalidTokenError):
        return None
    return claims if claims.get("token_use") == IDToken.token_type else None
