"""Local verification of the IdP's JWTs: access tokens and logout tokens."""

from __future__ import annotations

import jwt

from marketplace_demo.partner_auth.jwks import KeyNotFound, jwks_for

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    pass


def verify_jwt(token: str, *, issuer: str, audience: str, typ: str, require: list[str]) -> dict:
    """Signature by a key of the issuer's JWKS, the expected ``typ``, ``iss``, ``aud``, ``exp``."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidToken("malformed token") from None
    if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
        raise InvalidToken("wrong token type")
    try:
        key = jwks_for(issuer).key(str(header.get("kid", "")))
    except KeyNotFound as error:
        raise InvalidToken(str(error)) from None
    if header.get("alg") != key.algorithm_name:
        raise InvalidToken("algorithm does not match the key")
    try:
        return jwt.decode(token, key.key, algorithms=[key.algorithm_name], issuer=issuer, audience=audience,
                          leeway=LEEWAY_SECONDS, options={"require": require})
    except jwt.InvalidTokenError as error:
        raise InvalidToken(str(error)) from None


def verify_access_token(token: str, *, issuer: str, audience: str) -> dict:
    return verify_jwt(token, issuer=issuer, audience=audience, typ="at+jwt",
                      require=["iss", "aud", "exp", "iat", "sub", "jti"])


def verify_logout_token(token: str, *, issuer: str, audience: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0 section 2.6."""
    claims = verify_jwt(token, issuer=issuer, audience=audience, typ="logout+jwt",
                        require=["iss", "aud", "iat", "jti", "events"])
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise InvalidToken("missing the back-channel logout event")
    if not claims.get("sid") and not claims.get("sub"):
        raise InvalidToken("neither sid nor sub")
    if "nonce" in claims:
        raise InvalidToken("a logout token must not carry a nonce")
    return claims
