"""Local verification of the IdP's JWTs: access tokens and logout tokens."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import OrderedDict

import jwt
from django.core.cache import cache

from marketplace_demo.partner_auth.jwks import KeyNotFound, jwks_for

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    pass


def unverified_header(token: str) -> dict:
    """Only the JOSE header, to pick the key: PyJWT's get_unverified_header decodes
    the whole token, which costs as much as half the verification itself. PyJWT
    checks the header again when it verifies."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        raise InvalidToken("malformed token") from None
    if not isinstance(header, dict):
        raise InvalidToken("malformed token")
    return header


def verify_jwt(token: str, *, issuer: str, audience: str, typ: str, require: list[str]) -> dict:
    """Signature by a key of the issuer's JWKS, the expected ``typ``, ``iss``, ``aud``, ``exp``."""
    header = unverified_header(token)
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
    """Verified claims; a token seen before is answered from a bounded cache that
    never outlives the token and still honours ended sessions."""
    claims = _seen.get(token)
    if claims is None:
        claims = verify_jwt(token, issuer=issuer, audience=audience, typ="at+jwt",
                            require=["iss", "aud", "exp", "iat", "sub", "jti"])
        _seen.put(token, claims)
    if claims.get("sid") and sid_ended(claims["sid"]):
        raise InvalidToken("the session of this token has ended")
    return claims


class VerifiedTokenCache:
    """Token text -> verified claims, at most ``size`` entries, each until its ``exp``."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._entries: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> dict | None:
        claims = self._entries.get(token)
        if claims is None:
            return None
        if claims["exp"] <= time.time():
            with self._lock:
                self._entries.pop(token, None)
            return None
        return claims

    def put(self, token: str, claims: dict) -> None:
        with self._lock:
            self._entries[token] = claims
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_seen = VerifiedTokenCache()


def end_sid(sid: str, ttl_seconds: int = 3600) -> None:
    """Called by the back-channel logout receiver: tokens of this session stop working here."""
    cache.set(f"partner:sid-ended:{sid}", True, ttl_seconds)


def sid_ended(sid: str) -> bool:
    return bool(cache.get(f"partner:sid-ended:{sid}"))


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
