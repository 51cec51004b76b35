"""The signing key ring, JWKS publication and rotation."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import StoredSigningKey
from accounts.oauth.keyring import SigningKey, SigningKeyRing, forget_cached_ring, signing_keyring
from accounts.oauth.tokens import SSOAccessToken
from tests.support.keys import after_publish_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_dir(tmp_path, settings):
    """A ring of one RS256 key made by rotate_signing_key (no PEM folder to import)."""
    settings.SSO = {**settings.SSO, "SIGNING_KEY_DIR": tmp_path}
    call_command("rotate_signing_key")
    assert StoredSigningKey.objects.count() == 1
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


@pytest.mark.parametrize("name", ["oauth:jwks", "oauth:openid-configuration"])
def test_the_published_documents_answer_head_as_get_without_a_body(client, key_dir, name):
    got, head = client.get(reverse(name)), client.head(reverse(name))
    assert head.status_code == 200 and head.content == b""
    assert head["Cache-Control"] == got["Cache-Control"] and head["Content-Type"] == got["Content-Type"]
    assert client.post(reverse(name)).status_code == 405


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(client, key_dir, capsys):
    old_token = new_access_token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    call_command("rotate_signing_key")
    assert "new current signing key" in capsys.readouterr().out
    after_publish_ahead()
    new_token = new_access_token()
    assert jwt.get_unverified_header(new_token)["kid"] != old_kid
    assert SSOAccessToken(old_token, audience="site")["sub"] == "s"
    kids = [k["kid"] for k in client.get(reverse("oauth:jwks")).json()["keys"]]
    assert len(kids) == 2 and kids[1] == old_kid


def test_retired_key_is_withdrawn_after_every_token_it_signed_expired(key_dir):
    call_command("rotate_signing_key")
    keys = [SigningKey.from_record(record) for record in StoredSigningKey.objects.all()]
    newest = keys[-1].created_at
    assert len(SigningKeyRing(keys, now=newest + timedelta(days=13)).published) == 2
    later = SigningKeyRing(keys, now=newest + timedelta(days=15))
    assert [k.kid for k in later.published] == [keys[-1].kid]
    assert [k.kid for k in later.expired_keys()] == [keys[0].kid]


@pytest.mark.parametrize("algorithm, kty", [("ES256", "EC"), ("EdDSA", "OKP")])
def test_other_algorithms_are_selectable(client, key_dir, algorithm, kty, settings):
    settings.SSO = {**settings.SSO, "SIGNING_ALGORITHM": algorithm}
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
    endpoints = (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    )
    for name in endpoints:
        assert meta[name].startswith("http://localhost:8000/")
        path = meta[name].removeprefix("http://localhost:8000")
        assert client.options(path).status_code != 404, name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["public", "pairwise"]
    assert meta["backchannel_logout_supported"] and meta["backchannel_logout_session_supported"]


def _register(client_id: str, algorithm: str):
    from accounts.oauth.registry import SiteRegistration, register_site
    from tests.support.oauth import SECRET

    site, _ = register_site(
        SiteRegistration(
            client_id=client_id,
            name=client_id,
            client_secret=SECRET,
            redirect_uris=[f"http://127.0.0.1:8001/{client_id}/cb"],
            signing_algorithm=algorithm,
        )
    )
    return site


def _tokens_for(site, browser) -> dict:
    from django.test import Client

    from tests.support.oauth import Pkce, exchange_code, obtain_code

    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()


def _verified_from_jwks(client, token: str, audience: str) -> str:
    header = jwt.get_unverified_header(token)
    jwk = next(k for k in client.get(reverse("oauth:jwks")).json()["keys"] if k["kid"] == header["kid"])
    jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[jwk["alg"]], audience=audience, options={"verify_iss": False})
    return jwk["alg"]


def test_each_site_gets_tokens_in_its_own_algorithm_after_a_rotation_to_another(client, key_dir, browser):
    """The attack on interoperability: rotating the ring to ES256 switched every client to ES256,
    and an RP set up for RS256 (the OpenID default) broke."""
    classic = _register("classic", "RS256")
    call_command("rotate_signing_key", "--algorithm", "ES256")
    modern = _register("modern", "ES256")
    for site, algorithm in ((classic, "RS256"), (modern, "ES256")):
        tokens = _tokens_for(site, browser)
        for kind in ("id_token", "access_token"):
            assert _verified_from_jwks(client, tokens[kind], site.client_id) == algorithm, (site.client_id, kind)
    assert {k["alg"] for k in client.get(reverse("oauth:jwks")).json()["keys"]} == {"RS256", "ES256"}


def test_a_site_registered_for_an_algorithm_the_ring_lacks_gets_a_key_for_it(client, key_dir, browser):
    assert set(signing_keyring().current_by_algorithm) == {"RS256"}
    site = _register("edwards", "EdDSA")
    assert set(signing_keyring().current_by_algorithm) == {"RS256", "EdDSA"}
    assert _verified_from_jwks(client, _tokens_for(site, browser)["id_token"], "edwards") == "EdDSA"


def test_rotating_one_algorithm_leaves_the_others_current(key_dir):
    call_command("rotate_signing_key", "--algorithm", "ES256")
    es256 = signing_keyring().current_for("ES256")
    rs256 = signing_keyring().current_for("RS256")
    call_command("rotate_signing_key", "--algorithm", "RS256")
    after_publish_ahead()
    ring = signing_keyring()
    assert ring.current_for("ES256").kid == es256.kid and ring.current_for("RS256").kid != rs256.kid
    assert rs256.kid in [k.kid for k in ring.published]  # retired, still published for its tokens


def test_register_site_takes_the_algorithm(capsys, key_dir):
    import json

    capsys.readouterr()  # what the fixture's rotation printed
    call_command(
        "register_site",
        "--client-id",
        "es",
        "--name",
        "ES",
        "--redirect-uri",
        "https://es.example/cb",
        "--id-token-signed-response-alg",
        "ES256",
    )
    assert json.loads(capsys.readouterr().out)["client_id"] == "es"
    from accounts.models import PartnerSite

    assert PartnerSite.objects.get(client_id="es").id_token_signed_response_alg == "ES256"


def test_a_site_whose_algorithm_lost_its_key_gets_a_server_error_not_a_traceback(key_dir, browser):
    from django.test import Client

    from tests.support.oauth import Pkce, exchange_code, obtain_code

    site = _register("orphan", "ES256")
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    es256 = signing_keyring().current_for("ES256")
    StoredSigningKey.objects.filter(kid=es256.kid).delete()  # an operator deleted the key by hand
    forget_cached_ring()
    response = exchange_code(Client(), site, code, pkce)
    assert response.status_code == 500 and response.json()["error"] == "server_error"
    assert response["Cache-Control"] == "no-store"


def test_a_new_key_is_published_before_it_signs(client, key_dir):
    """The attack on availability the cluster test found: right after a rotation one process
    signed with the new key while another still served a JWKS without it, so a verifier that
    fetched the keys on the new kid got the old set and refused the token."""
    from accounts.oauth.keyring import PUBLISH_AHEAD, RECHECK_SECONDS

    old_kid = jwt.get_unverified_header(new_access_token())["kid"]
    call_command("rotate_signing_key")
    new_kid = StoredSigningKey.objects.order_by("-created_at").first().kid
    forget_cached_ring()
    # Published at once, first in the JWKS; not signing yet.
    assert [k["kid"] for k in client.get(reverse("oauth:jwks")).json()["keys"]] == [new_kid, old_kid]
    assert jwt.get_unverified_header(new_access_token())["kid"] == old_kid
    assert PUBLISH_AHEAD.total_seconds() >= RECHECK_SECONDS  # longer than any process's view is stale

    keys = [SigningKey.from_record(record) for record in StoredSigningKey.objects.all()]
    created = max(key.created_at for key in keys)
    ring = SigningKeyRing(keys, now=created + PUBLISH_AHEAD / 2)
    assert ring.current.kid == old_kid and ring.next_change == created + PUBLISH_AHEAD  # re-read then
    later = SigningKeyRing(keys, now=created + PUBLISH_AHEAD)
    assert later.current.kid == new_kid and old_kid in [k.kid for k in later.published]

    after_publish_ahead()
    assert jwt.get_unverified_header(new_access_token())["kid"] == new_kid
    assert SSOAccessToken(new_access_token(), audience="site")["sub"] == "s"
