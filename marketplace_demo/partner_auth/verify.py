"""Local verification of the IdP's JWTs: access tokens and logout tokens."""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections import OrderedDict

from django.core.cache import cache

from marketplace_demo.partner_auth.jwks import KeyNotFound, jwks_for

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    pass


# RFC 7515 compact serialisation: three unpadded base64url segments. Checked with
# one regular expression, in C: PyJWT 2.15 checks the alphabet character by
# character in Python, which is two thirds of its decode time.
COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")


def _segment(segment: str) -> bytes:
    if len(segment) % 4 == 1:
        raise InvalidToken("malformed token")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(segment: str) -> dict:
    try:
        value = json.loads(_segment(segment))
    except ValueError:  # also binascii.Error and UnicodeDecodeError
        raise InvalidToken("malformed token") from None
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def _as_int(claims: dict, name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidToken(f"{name} must be a number")  # JSON allows Infinity and NaN; a time does not
    return int(value)


def check_claims(claims: dict, *, issuer: str, audience: str, require: list[str], now: float | None = None) -> None:
    """RFC 7519 section 4.1 as PyJWT applies it: required claims present, ``exp``,
    ``nbf`` and ``iat`` against the clock with leeway, ``iss`` equal, ``aud`` naming us."""
    now = time.time() if now is None else now
    for name in require:
        if claims.get(name) is None:
            raise InvalidToken(f"missing the {name} claim")
    if "exp" in claims and _as_int(claims, "exp") <= now - LEEWAY_SECONDS:
        raise InvalidToken("Signature has expired")
    for name in ("iat", "nbf"):
        if name in claims and _as_int(claims, name) > now + LEEWAY_SECONDS:
            raise InvalidToken(f"The token is not yet valid ({name})")
    if claims.get("iss") != issuer:
        raise InvalidToken("Invalid issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences) or audience not in audiences:
        raise InvalidToken("Invalid audience")
    for name in ("sub", "jti"):
        if name in claims and not isinstance(claims[name], str):
            raise InvalidToken(f"{name} must be a string")


def verify_jwt(token: str, *, issuer: str, audience: str, typ: str, require: list[str]) -> dict:
    """Signature by a key of the issuer's JWKS, the expected ``typ``, ``iss``, ``aud``, ``exp``.

    The signature is checked by PyJWT's algorithm for the key (never the one the
    token names: ``alg`` must equal the key's), over the exact signing input.
    """
    match = COMPACT_JWS.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise InvalidToken("malformed token")
    encoded_header, encoded_payload, encoded_signature = match.groups()
    header = _json_object(encoded_header)
    if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
        raise InvalidToken("wrong token type")
    if "crit" in header:  # RFC 7515 section 4.1.11: we understand no extension
        raise InvalidToken("unsupported critical header")
    try:
        key = jwks_for(issuer).key(str(header.get("kid", "")))
    except KeyNotFound as error:
        raise InvalidToken(str(error)) from None
    if header.get("alg") != key.algorithm_name:
        raise InvalidToken("algorithm does not match the key")
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    if not key.Algorithm.verify(signing_input, key.key, _segment(encoded_signature)):
        raise InvalidToken("Signature verification failed")
    claims = _json_object(encoded_payload)
    check_claims(claims, issuer=issuer, audience=audience, require=require)
    return claims


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
