"""The partner site as a running process: its back-channel receiver, its API and its failure pages."""

from __future__ import annotations

import secrets
import time

import jwt
import pytest
import requests

from accounts.oauth.backchannel import BACKCHANNEL_EVENT
from accounts.oauth.keyring import signing_keyring
from accounts.oauth.tokens import LogoutToken, SSOAccessToken

pytestmark = pytest.mark.django_db(transaction=True)


def logout_token(audience: str, **claims) -> str:
    token = LogoutToken(audience=audience).set_claims(sid="sid-123", sub="sub-1", events={BACKCHANNEL_EVENT: {}})
    for name, value in claims.items():
        if value is None:
            del token.payload[name]
        else:
            token[name] = value
    return str(token)


def post_logout(partner, token: str):
    return requests.post(f"{partner.url}/oidc/backchannel-logout/", data={"logout_token": token}, timeout=10)


def test_back_channel_receiver_accepts_a_valid_token_once(marketplace):
    token = logout_token("marketplace")
    assert post_logout(marketplace, token).status_code == 200
    replay = post_logout(marketplace, token)
    assert replay.status_code == 400 and "replayed" in replay.json()["error_description"]


@pytest.mark.parametrize(
    "case, make",
    [
        ("wrong audience", lambda: logout_token("languages")),
        ("with a nonce", lambda: logout_token("marketplace", nonce="n")),
        ("without the event", lambda: logout_token("marketplace", events={"other": {}})),
        ("neither sid nor sub", lambda: logout_token("marketplace", sid=None, sub=None)),
        (
            "an access token",
            lambda: str(SSOAccessToken(audience="marketplace").set_claims(sub="s", sid="x", client_id="marketplace")),
        ),
        (
            "wrong issuer",
            lambda: jwt.encode(
                {
                    "iss": "https://evil.example",
                    "aud": "marketplace",
                    "iat": int(time.time()),
                    "exp": int(time.time()) + 60,
                    "jti": "j1",
                    "sid": "x",
                    "events": {BACKCHANNEL_EVENT: {}},
                },
                signing_keyring().current.private_key,
                algorithm="RS256",
                headers={"kid": signing_keyring().current.kid, "typ": "logout+jwt"},
            ),
        ),
        ("garbage", lambda: "not-a-jwt"),
    ],
)
def test_back_channel_receiver_refuses_invalid_tokens(marketplace, case, make):
    response = post_logout(marketplace, make())
    assert response.status_code == 400, case
    assert response.json()["error"] == "invalid_request"


def test_partner_api_verifies_bearer_tokens_from_the_jwks(marketplace):
    mine = SSOAccessToken(audience="marketplace").set_claims(
        sub="user-1", client_id="marketplace", scope="openid", sid="s"
    )
    ok = requests.get(f"{marketplace.url}/api/my-skills", headers={"Authorization": f"Bearer {mine}"}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"sub": "user-1", "items": []}
    for bad in (
        str(SSOAccessToken(audience="languages").set_claims(sub="u", client_id="languages", scope="openid", sid="s")),
        logout_token("marketplace"),
        str(mine)[:-4] + "AAAA",
    ):
        refused = requests.get(
            f"{marketplace.url}/api/my-skills", headers={"Authorization": f"Bearer {bad}"}, timeout=10
        )
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.get(f"{marketplace.url}/api/my-skills", timeout=10).status_code == 401


def test_a_callback_with_a_forged_state_shows_a_page_and_signs_nobody_in(marketplace):
    session = requests.Session()
    response = session.get(f"{marketplace.url}/oidc/callback/?code=abc&state=forged", timeout=10)
    assert response.status_code == 400 and "expired" in response.text
    assert "Sign in" in session.get(f"{marketplace.url}/", timeout=10).text


def test_login_only_returns_to_same_site_paths(marketplace):
    response = requests.get(f"{marketplace.url}/login/?next=https://evil.example/", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/oauth/authorize/" in response.headers["Location"]


def test_an_unreachable_identity_provider_shows_a_readable_page(tmp_path):
    from tests.support.http_peer import free_port
    from tests.support.partners import PartnerProcess

    partner = PartnerProcess(
        "marketplace", "Skills Marketplace", "127.0.0.1", "skills", f"http://127.0.0.1:{free_port()}", tmp_path
    ).start()
    try:
        response = requests.get(f"{partner.url}/login/", allow_redirects=False, timeout=20)
        assert response.status_code == 502 and "cannot be reached" in response.text
    finally:
        partner.stop()


def test_partner_api_refuses_tokens_of_a_session_ended_by_back_channel_logout(marketplace):
    sid = "sid-" + secrets.token_hex(8)  # the partner process serves the whole test session: a sid of its own
    mine = str(
        SSOAccessToken(audience="marketplace").set_claims(sub="u", client_id="marketplace", scope="openid", sid=sid)
    )
    url, auth = f"{marketplace.url}/api/my-skills", {"Authorization": f"Bearer {mine}"}
    assert requests.get(url, headers=auth, timeout=10).status_code == 200  # now cached as verified
    assert post_logout(marketplace, logout_token("marketplace", sid=sid)).status_code == 200  # that sid ends
    assert requests.get(url, headers=auth, timeout=10).status_code == 401


def test_partner_pages_send_a_content_security_policy(marketplace):
    csp = requests.get(marketplace.url, timeout=10).headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert f"form-action 'self' {marketplace.issuer}" in csp  # its forms go to itself and, by redirect, the IdP


def test_an_unknown_page_is_the_partners_own_not_found_page(marketplace):
    response = requests.get(f"{marketplace.url}/no-such-page/", timeout=10)
    assert response.status_code == 404 and "There is no page at this address." in response.text


def test_a_browser_signed_out_elsewhere_is_told_so_once(marketplace):
    browser = requests.Session()
    browser.cookies.set("was_signed_in", "1", domain=marketplace.host)  # signed in before; its session is gone
    first = browser.get(f"{marketplace.url}/", timeout=10)
    assert "You were signed out" in first.text and 'id="sign-in"' in first.text
    second = browser.get(f"{marketplace.url}/", timeout=10)
    assert "You were signed out" not in second.text  # told once


def test_the_partner_passes_the_users_language_on_to_the_identity_provider(marketplace):
    response = requests.get(
        f"{marketplace.url}/login/", headers={"Accept-Language": "de"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302 and "ui_locales=de" in response.headers["Location"]
    page = requests.get(f"{marketplace.url}/", headers={"Accept-Language": "es"}, timeout=10).text
    assert '<html lang="es">' in page and "Iniciar sesión" in page
