"""The signing key ring, JWKS publication and rotation."""

from __future__ import annotations

import os
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.oauth.keyring import SigningKey, SigningKeyRing, signing_keyring
from accounts.oauth.tokens import SSOAccessToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_dir(tmp_path, settings):
    settings.SSO = {**settings.SSO, "SIGNING_KEY_DIR": tmp_path}
    call_command("rotate_signing_key")
    return tmp_path


def new_access_token() -> str:
    return str(SSOAccessToken(audience="site").set_claims(sub="s", client_id="site", scope="openid", sid="x"))


def test_jwks_publishes_the_public_key_with_cache_headers(client, key_dir):
    response = client.get(reverse("oauth:jwks"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    (jwk,) = response.json()["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in jwk and "p" not in jwk  # public members only
    token = new_access_token()
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    public_key = jwt.PyJWK(jwk).key
    assert jwt.decode(token, public_key, algorithms=["RS256"], audience="site")["sub"] == "s"


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(client, key_dir, capsys):
    old_token = new_access_token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    os.utime(key_dir)  # same-millisecond rotations still change the folder stamp
    call_command("rotate_signing_key")
    assert "new current signing key" in capsys.readouterr().out
    new_token = new_access_token()
    assert jwt.get_unverified_header(new_token)["kid"] != old_kid
    assert SSOAccessToken(old_token, audience="site")["sub"] == "s"
    kids = [k["kid"] for k in client.get(reverse("oauth:jwks")).json()["keys"]]
    assert len(kids) == 2 and kids[1] == old_kid


def test_retired_key_is_withdrawn_after_every_token_it_signed_expired(key_dir):
    call_command("rotate_signing_key")
    keys = [SigningKey.load(p) for p in sorted(key_dir.glob("*.pem"))]
    newest = keys[-1].created_at
    assert len(SigningKeyRing(keys, now=newest + timedelta(days=13)).published) == 2
    later = SigningKeyRing(keys, now=newest + timedelta(days=15))
    assert [k.kid for k in later.published] == [keys[-1].kid]
    assert [k.kid for k in later.expired_keys()] == [keys[0].kid]


@pytest.mark.parametrize("algorithm, kty", [("ES256", "EC"), ("EdDSA", "OKP")])
def test_other_algorithms_are_selectable(client, key_dir, algorithm, kty):
    os.utime(key_dir)
    call_command("rotate_signing_key", "--algorithm", algorithm)
    assert signing_keyring().current.algorithm == algorithm
    token = new_access_token()
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert SSOAccessToken(token, audience="site")["client_id"] == "site"
    jwk = client.get(reverse("oauth:jwks")).json()["keys"][0]
    assert (jwk["kty"], jwk["alg"]) == (kty, algorithm)


def test_discovery_advertises_every_endpoint(client):
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://localhost:8000"
    endpoints = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "end_session_endpoint", "revocation_endpoint", "introspection_endpoint")
    for name in endpoints:
        assert meta[name].startswith("http://localhost:8000/")
        path = meta[name].removeprefix("http://localhost:8000")
        assert client.options(path).status_code != 404, name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["public", "pairwise"]
    assert meta["backchannel_logout_supported"] and meta["backchannel_logout_session_supported"]
