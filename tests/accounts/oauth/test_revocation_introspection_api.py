"""RFC 7009 revocation, RFC 7662 introspection and the partner REST API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.oauth.registry import SiteRegistration, register_site
from tests.support.oauth import SECRET, Pkce, exchange_code, form_post, obtain_code, token_request

pytestmark = pytest.mark.django_db
REVOKE, INTROSPECT, ME = reverse("oauth:revoke"), reverse("oauth:introspect"), reverse("api:me")


@pytest.fixture
def tokens(site, browser):
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()


def as_site(url: str, data: dict, client_id: str = "marketplace", secret: str = SECRET):
    return form_post(Client(), url, {"client_id": client_id, "client_secret": secret, **data})


def me(token: str):
    return Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_introspection_reports_active_tokens_without_pii(tokens, user):
    body = as_site(INTROSPECT, {"token": tokens["access_token"]}).json()
    assert body["active"] is True and body["token_type"] == "Bearer"  # RFC 7662 2.2: an RFC 6749 7.1 type
    assert (
        body["client_id"] == "marketplace" and body["sub"] == str(user.pk) and body["scope"] == "openid email profile"
    )
    assert "email" not in body and "name" not in body
    refresh = as_site(INTROSPECT, {"token": tokens["refresh_token"]}).json()
    assert refresh["active"] is True and "token_type" not in refresh  # a refresh token has no such type


def test_introspection_needs_client_authentication(tokens):
    response = form_post(Client(), INTROSPECT, {"token": tokens["access_token"]})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    wrong = as_site(INTROSPECT, {"token": tokens["access_token"]}, secret="wrong")
    assert wrong.status_code == 401


def test_introspection_of_another_sites_token_or_garbage_is_inactive(tokens):
    register_site(
        SiteRegistration(
            client_id="other", name="Other", redirect_uris=["https://other.example/cb"], client_secret=SECRET
        )
    )
    assert as_site(INTROSPECT, {"token": tokens["access_token"]}, client_id="other").json() == {"active": False}
    assert as_site(INTROSPECT, {"token": "garbage"}).json() == {"active": False}
    assert as_site(INTROSPECT, {}).json()["error"] == "invalid_request"


def test_an_ended_sessions_tokens_introspect_inactive(tokens, browser):
    browser.post(reverse("accounts:end_all_sessions"))
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert as_site(INTROSPECT, {"token": token}).json() == {"active": False}


def test_revoking_a_refresh_token_blacklists_it(tokens):
    response = as_site(REVOKE, {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert BlacklistedToken.objects.count() == 1
    refused = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refused.json()["error"] == "invalid_grant"
    assert as_site(INTROSPECT, {"token": tokens["refresh_token"]}).json() == {"active": False}


def test_revoking_an_access_token_denies_it(tokens):
    assert me(tokens["access_token"]).status_code == 200
    assert as_site(REVOKE, {"token": tokens["access_token"]}).status_code == 200
    assert me(tokens["access_token"]).status_code == 401


def test_revoking_garbage_or_another_sites_token_answers_200_and_changes_nothing(tokens):
    assert as_site(REVOKE, {"token": "not-a-token"}).status_code == 200
    register_site(
        SiteRegistration(
            client_id="other", name="Other", redirect_uris=["https://other.example/cb"], client_secret=SECRET
        )
    )
    for token in (tokens["refresh_token"], tokens["access_token"]):
        answer = as_site(REVOKE, {"token": token}, client_id="other")
        # RFC 7009 section 2.2: the answer tells nothing about a token that is not the caller's.
        assert answer.status_code == 200 and answer.content == b""
    assert not BlacklistedToken.objects.exists() and me(tokens["access_token"]).status_code == 200


def test_revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant(site, tokens):
    """RFC 7009 section 2.1: the access token issued with it died with it (it lived on before)."""
    rotated = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).json()
    assert me(tokens["access_token"]).status_code == me(rotated["access_token"]).status_code == 200
    assert as_site(REVOKE, {"token": rotated["refresh_token"]}).status_code == 200
    assert me(rotated["access_token"]).status_code == 401 and me(tokens["access_token"]).status_code == 401
    assert as_site(INTROSPECT, {"token": rotated["access_token"]}).json() == {"active": False}


def test_api_me_honours_scopes(site, browser, tokens):
    body = me(tokens["access_token"]).json()
    assert body["email"] == "ada@example.org" and body["name"] == "Ada Lovelace"
    pkce = Pkce.new()
    narrow = exchange_code(Client(), site, obtain_code(browser, site, pkce, scope="openid"), pkce).json()
    assert set(me(narrow["access_token"]).json()) == {"sub", "scope"}


def test_api_refuses_missing_forged_and_ended_tokens(tokens, browser):
    assert Client().get(ME).status_code == 401
    assert Client().get(ME, HTTP_AUTHORIZATION="Basic abc").status_code == 401
    assert me(tokens["id_token"]).status_code == 401
    refused = me(tokens["access_token"][:-3] + "abc")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="api"'
    browser.post(reverse("accounts:end_all_sessions"))
    assert me(tokens["access_token"]).status_code == 401


def test_openapi_schema_documents_the_api(client):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/me" in text and "bearer" in text
