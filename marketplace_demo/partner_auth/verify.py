"""Local verification of the IdP's JWTs (access and logout tokens), with joserfc, and a cache of verified ones."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from django.core.cache import cache
from joserfc import jwk, jwt
from joserfc.errors import JoseError

from marketplace_demo.partner_auth.jwks import KeyNotFound, jwks_for

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY_SECONDS = 30
ALGORITHMS = ["RS256", "ES256", "EdDSA"]  # what the IdP signs with (sso_project.keys)


class InvalidToken(Exception):
    pass


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

    joserfc parses the compact JWS and checks the signature with the algorithm of
    the key the ``kid`` names (``alg`` must equal the key's, never the token's
    choice); the claims are then checked as RFC 7519 section 4.1 and PyJWT do.
    """
    if not isinstance(token, str):
        raise InvalidToken("malformed token")
    try:
        verified = jwt.decode(token, _key_of(issuer, typ), algorithms=ALGORITHMS)
    except JoseError as error:
        raise InvalidToken(error.error) from None
    except ValueError:  # a segment that is not base64url or JSON
        raise InvalidToken("malformed token") from None
    claims = verified.claims
    if not isinstance(claims, dict):
        raise InvalidToken("malformed token")
    check_claims(claims, issuer=issuer, audience=audience, require=require)
    return claims


def _key_of(issuer: str, typ: str):
    def resolve(token) -> jwk.Key:
        header = token.headers()
        if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
            raise InvalidToken("wrong token type")
        if "crit" in header:  # RFC 7515 section 4.1.11: we understand no extension
            raise InvalidToken("unsupported critical header")
        try:
            key = jwks_for(issuer).key(str(header.get("kid", "")))
        except KeyNotFound as error:
            raise InvalidToken(str(error)) from None
        if header.get("alg") != key.alg:
            raise InvalidToken("algorithm does not match the key")
        return key

    return resolve


def verify_access_token(token: str, *, issuer: str, audience: str) -> dict:
    """Verified claims; a token seen before is answered from a bounded cache that
    never outlives the token and still honours ended sessions."""
    claims = _seen.get(token)
    if claims is None:
        claims = verify_jwt(
            token, issuer=issuer, audience=audience, typ="at+jwt", require=["iss", "aud", "exp", "iat", "sub", "jti"]
        )
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
    claims = verify_jwt(
        token, issuer=issuer, audience=audience, typ="logout+jwt", require=["iss", "aud", "iat", "jti", "events"]
    )
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise InvalidToken("missing the back-channel logout event")
    if not claims.get("sid") and not claims.get("sub"):
        raise InvalidToken("neither sid nor sub")
    if "nonce" in claims:
        raise InvalidToken("a logout token must not carry a nonce")
    return claims
