"""The partner-side verifier, in process, against PyJWT as the reference.

The verifier reads the compact JWS itself (for speed) and checks the signature
with PyJWT's algorithm for the key. Here hypothesis builds tokens with every
kind of header, claim and byte-level damage, and the verifier must never accept
what PyJWT (with the same key, issuer, audience, leeway, required claims and
our typ/alg/kid rules) refuses; where the token is well formed, it must accept
exactly what PyJWT accepts, with the same claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from joserfc import jwk
from rest_framework.exceptions import AuthenticationFailed

from accounts.oauth.keyring import signing_keyring
from accounts.oauth.tokens import SSOAccessToken
from marketplace_demo.partner_auth import jwks as partner_jwks
from marketplace_demo.partner_auth import verify as partner_verify
from marketplace_demo.partner_auth.authentication import IdPAccessTokenAuthentication

AUDIENCE = "marketplace"
REQUIRE = ["iss", "aud", "exp", "iat", "sub", "jti"]
MISSING = object()


@pytest.fixture(autouse=True)
def published_keys(db):
    """The partner's JWKS cache, filled from the IdP's key ring (no HTTP)."""
    issuer = settings.SSO["ISSUER"]
    ring = signing_keyring()
    keys = partner_jwks.jwks_for(issuer)
    keys._keys = {key.kid: jwk.import_key(key.public_jwk()) for key in ring.published}
    keys._fetched_at = time.monotonic()
    partner_verify._seen.clear()
    yield ring.current
    partner_jwks._caches.pop(issuer, None)
    partner_verify._seen.clear()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key, header: dict, claims: dict) -> str:
    """Any header and claims, signed by the key's algorithm, or forged (HMAC keyed
    with the public key, or no signature at all) when the header names another."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    if header.get("alg") == key.algorithm:
        signature = jwt.get_algorithm_by_name(key.algorithm).sign(signing_input, key.private_key)
    elif header.get("alg") == "HS256":
        public_pem = key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    else:
        signature = b""
    return f"{signing_input.decode()}.{b64(signature)}"


def reference_accepts(token: str, key) -> dict | None:
    """PyJWT's verdict, with the same rules the verifier adds (typ, alg of the key, known kid, no crit)."""
    try:
        header = jwt.get_unverified_header(token)
        if str(header.get("typ", "")).lower().removeprefix("application/") != "at+jwt":
            return None
        if header.get("kid") != key.kid or header.get("alg") != key.algorithm or "crit" in header:
            return None
        return jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=[key.algorithm],
            issuer=settings.SSO["ISSUER"],
            audience=AUDIENCE,
            leeway=partner_verify.LEEWAY_SECONDS,
            options={"require": REQUIRE},
        )
    except jwt.InvalidTokenError:
        return None


def verifier_accepts(token: str) -> dict | None:
    try:
        return partner_verify.verify_jwt(
            token, issuer=settings.SSO["ISSUER"], audience=AUDIENCE, typ="at+jwt", require=REQUIRE
        )
    except partner_verify.InvalidToken:
        return None


NOW = int(time.time())
numbers = st.sampled_from([NOW + 300, NOW - 300, NOW - 60, NOW - 10, NOW + 10, NOW + 60, 0, NOW + 0.5])
loose = st.sampled_from([str(NOW + 300), True, None, [NOW], 1e400, float("nan")])  # PyJWT coerces some of these
claim_values = {
    "iss": st.sampled_from([settings.SSO["ISSUER"], settings.SSO["ISSUER"] + "/", "https://evil.example", 7, MISSING]),
    "aud": st.sampled_from([AUDIENCE, [AUDIENCE, "other"], "other", [], [7], {"a": AUDIENCE}, MISSING]),
    "exp": st.one_of(numbers, st.just(MISSING)),
    "iat": st.one_of(numbers, st.just(MISSING)),
    "nbf": st.one_of(numbers, st.just(MISSING)),
    "sub": st.sampled_from(["user-1", 7, "", MISSING]),
    "jti": st.sampled_from(["a" * 32, 7, MISSING]),
}
damage = st.sampled_from(
    ["none", "none", "none", "flip-signature", "flip-payload", "pad", "truncate", "extra-segment", "space"]
)


VALID_CLAIMS = {
    "iss": settings.SSO["ISSUER"],
    "aud": AUDIENCE,
    "exp": NOW + 300,
    "iat": NOW,
    "sub": "user-1",
    "jti": "a" * 32,
}


@st.composite
def tokens(draw, key, loose_numbers: bool):
    """A genuine token, then up to three changes to its claims or header, then maybe damage to its bytes."""
    claims, header = dict(VALID_CLAIMS), {"alg": key.algorithm, "kid": key.kid, "typ": "at+jwt"}
    headers = {
        "alg": st.sampled_from([key.algorithm, "HS256", "none"]),
        "kid": st.sampled_from([key.kid, "unknown", 7]),
        "typ": st.sampled_from(["at+jwt", "application/at+jwt", "AT+JWT", "JWT", "rt+jwt", MISSING]),
        "crit": st.sampled_from([["exp"], MISSING]),
    }
    for name in draw(st.lists(st.sampled_from(sorted(claim_values) + sorted(headers)), max_size=3)):
        if name in headers:
            header[name] = draw(headers[name])
        else:
            claims[name] = draw(claim_values[name])
    if loose_numbers:
        claims[draw(st.sampled_from(["exp", "iat", "nbf"]))] = draw(loose)
    claims = {name: value for name, value in claims.items() if value is not MISSING}
    header = {name: value for name, value in header.items() if value is not MISSING}
    token = sign(key, header, claims)
    kind = draw(damage)
    head, payload, signature = token.split(".")
    if kind == "flip-signature" and signature:
        signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    elif kind == "flip-payload":
        payload = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    elif kind == "pad":
        signature += "="
    elif kind == "truncate":
        signature = signature[:-2]
    elif kind == "extra-segment":
        signature += ".e30"
    elif kind == "space":
        signature += " "
    return f"{head}.{payload}.{signature}", kind


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_verifier_accepts_exactly_what_pyjwt_accepts_for_well_formed_tokens(published_keys, data):
    token, kind = data.draw(tokens(published_keys, loose_numbers=False))
    ours, reference = verifier_accepts(token), reference_accepts(token, published_keys)
    if kind == "pad":  # PyJWT tolerates padding; RFC 7515 compact form has none, and we refuse it
        assert ours is None
    else:
        assert ours == reference


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_verifier_never_accepts_what_pyjwt_refuses(published_keys, data):
    token, _ = data.draw(tokens(published_keys, loose_numbers=True))
    ours = verifier_accepts(token)
    if ours is not None:
        assert ours == reference_accepts(token, published_keys)


def test_a_genuine_access_token_is_accepted_with_its_claims(published_keys):
    token = str(
        SSOAccessToken(audience=AUDIENCE).set_claims(sub="user-1", client_id=AUDIENCE, scope="openid", sid="s1")
    )
    claims = verifier_accepts(token)
    assert claims is not None and claims["sub"] == "user-1" and claims["sid"] == "s1"


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c.d", "é.é.é", "...", None, 7, "x" * 100_000])
def test_garbage_is_refused_cleanly(garbage):
    assert verifier_accepts(garbage) is None


def test_the_drf_class_refuses_a_token_of_an_ended_session_even_when_cached(settings, published_keys):
    settings.PARTNER_API_AUTH = {"ISSUER": settings.SSO["ISSUER"], "AUDIENCE": AUDIENCE}
    token = str(
        SSOAccessToken(audience=AUDIENCE).set_claims(sub="user-1", client_id=AUDIENCE, scope="openid", sid="sid-ending")
    )
    request = RequestFactory().get("/api", HTTP_AUTHORIZATION=f"Bearer {token}")
    auth = IdPAccessTokenAuthentication()
    user, _ = auth.authenticate(request)
    assert user.sub == "user-1" and user.scopes == {"openid"}
    partner_verify.end_sid("sid-ending")
    try:
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(request)
    finally:
        cache.delete("partner:sid-ended:sid-ending")
