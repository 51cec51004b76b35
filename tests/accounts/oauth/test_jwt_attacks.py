"""Forged, altered and misused tokens are refused at the IdP's own API (userinfo),
with nothing changed."""

from __future__ import annotations

import base64
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, SSOSession
from accounts.oauth.keyring import signing_keyring
from tests.support.oauth import Pkce, exchange_code, obtain_code

pytestmark = pytest.mark.django_db
USERINFO = reverse("oauth:userinfo")


@pytest.fixture
def tokens(site, browser):
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()


def userinfo(token: str):
    return Client().get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {token}")


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def resign(payload: dict, **header_overrides) -> str:
    key = signing_keyring().current
    headers = {"kid": key.kid, "typ": "at+jwt", **header_overrides}
    return jwt.encode(payload, key.private_key, algorithm=key.algorithm, headers=headers)


def test_the_genuine_token_works(tokens):
    response = userinfo(tokens["access_token"])
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.org"


def attacks(tokens) -> dict[str, str]:
    header, payload, signature = parts(tokens["access_token"])
    key = signing_keyring().current
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    hs256_input = f"{b64({**header, 'alg': 'HS256'})}.{b64(payload)}"
    hs256_signature = b64(hmac.new(public_pem, hs256_input.encode(), "sha256").digest())
    original_header = tokens["access_token"].split(".")[0]
    return {
        "alg none": f"{b64({**header, 'alg': 'none'})}.{b64(payload)}.",
        "HS256 with the public key as secret": f"{hs256_input}.{hs256_signature}",
        "unknown kid": resign(payload, kid="0000000000000000"),
        "signed by a stranger's key": jwt.encode(
            payload, stranger, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
        ),
        "expired": resign({**payload, "iat": now - 4000, "exp": now - 3600}),
        "not yet valid": resign({**payload, "iat": now + 3600, "exp": now + 7200}),
        "wrong issuer": resign({**payload, "iss": "https://evil.example"}),
        "wrong audience": resign({**payload, "aud": "someone-else"}),
        "tampered payload": f"{original_header}.{b64({**payload, 'scope': 'openid email profile admin'})}.{signature}",
        "no jti": resign({k: v for k, v in payload.items() if k != "jti"}),
        "ID token as access token": tokens["id_token"],
        "refresh token as access token": tokens["refresh_token"],
        "access claims with an ID token typ": resign(payload, typ="JWT"),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize(
    "attack",
    [
        "alg none",
        "HS256 with the public key as secret",
        "unknown kid",
        "signed by a stranger's key",
        "expired",
        "not yet valid",
        "wrong issuer",
        "wrong audience",
        "tampered payload",
        "no jti",
        "ID token as access token",
        "refresh token as access token",
        "access claims with an ID token typ",
        "garbage",
    ],
)
def test_forged_or_misused_tokens_are_rejected_without_state_change(tokens, attack):
    before = (AuditEvent.objects.count(), SSOSession.objects.active().count())
    response = userinfo(attacks(tokens)[attack])
    assert response.status_code == 401, attack
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response["Cache-Control"] == "no-store"
    assert (AuditEvent.objects.count(), SSOSession.objects.active().count()) == before
    assert userinfo(tokens["access_token"]).status_code == 200  # the real one still works


def test_wrong_audience_is_refused_where_an_audience_is_expected(tokens):
    from rest_framework_simplejwt.exceptions import TokenError

    from accounts.oauth.tokens import SSOAccessToken

    assert SSOAccessToken(tokens["access_token"], audience="marketplace")["aud"] == "marketplace"
    with pytest.raises(TokenError):
        SSOAccessToken(tokens["access_token"], audience="languages")


def test_userinfo_refuses_tokens_of_an_ended_session(tokens, browser):
    browser.post(reverse("accounts:end_all_sessions"))
    response = userinfo(tokens["access_token"])
    assert response.status_code == 401
    assert "ended" in response.json()["error_description"]


def test_userinfo_without_token_or_openid_scope(site, browser):
    missing = Client().get(USERINFO)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    pkce = Pkce.new()
    no_openid = exchange_code(Client(), site, obtain_code(browser, site, pkce, scope="email"), pkce).json()
    assert "id_token" not in no_openid
    assert userinfo(no_openid["access_token"]).status_code == 403


def test_userinfo_releases_only_consented_claims(site, browser):
    pkce = Pkce.new()
    body = exchange_code(Client(), site, obtain_code(browser, site, pkce, scope="openid"), pkce).json()
    assert set(userinfo(body["access_token"]).json()) == {"sub"}
