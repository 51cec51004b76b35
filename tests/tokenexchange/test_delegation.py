"""Profile 3: audience and delegation exchange for services."""

from __future__ import annotations

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.oauth.registry import SiteRegistration, register_site
from tests.exchange_helpers import ACCESS_TOKEN, exchange
from tests.oauth_helpers import SECRET, Pkce, exchange_code, obtain_code

pytestmark = pytest.mark.django_db


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def services(site):
    billing, _ = register_site(SiteRegistration(
        client_id="billing", name="Billing API", client_secret=SECRET, redirect_uris=["https://billing.example/cb"],
        scopes=["openid", "email"], resource_uri="https://billing.example/api", delegation_actors=["marketplace"],
        subject_type="pairwise",
    ))
    search, _ = register_site(SiteRegistration(
        client_id="search", name="Search API", client_secret=SECRET, redirect_uris=["https://search.example/cb"],
        scopes=["openid", "email", "profile"],
    ))
    return billing, search


@pytest.fixture
def user_token(site, browser):
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()["access_token"]


def test_audience_exchange_narrows_to_the_target(services, user_token, user):
    response = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, audience="search")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and "refresh_token" not in body
    issued = claims(body["access_token"])
    assert issued["aud"] == "search" and issued["client_id"] == "marketplace"
    assert set(issued["scope"].split()) == {"openid", "email", "profile"} and "act" not in issued
    assert issued["sid"] == claims(user_token)["sid"] and issued["exp"] <= claims(user_token)["exp"]


def test_resource_names_the_target_and_pairwise_subjects_follow_it(services, user_token, user):
    body = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                    resource="https://billing.example/api").json()
    issued = claims(body["access_token"])
    assert issued["aud"] == "billing" and issued["scope"] == "openid email" and body["scope"] == "openid email"
    assert issued["sub"] != str(user.pk)  # billing is pairwise: it sees its own subject


def test_delegation_carries_act_when_the_target_allows_the_actor(services, user_token):
    actor = user_token  # the calling service's own access token, issued to it
    body = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                    actor_token=actor, actor_token_type=ACCESS_TOKEN, audience="billing", scope="email").json()
    issued = claims(body["access_token"])
    assert issued["act"]["client_id"] == "marketplace" and issued["scope"] == "email"
    assert "scope" not in body  # same as requested


def test_delegation_refused_where_nobody_allows_it(services, user_token):
    response = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                        actor_token=user_token, actor_token_type=ACCESS_TOKEN, audience="search")
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("params, error", [
    ({"audience": "nobody"}, "invalid_target"),
    ({"resource": "https://unknown.example/api"}, "invalid_target"),
    ({"audience": "search", "resource": "https://billing.example/api"}, "invalid_target"),
    ({}, "invalid_request"),
    ({"audience": "billing", "scope": "openid profile"}, "invalid_scope"),
    ({"audience": "search", "scope": "openid admin"}, "invalid_scope"),
])
def test_target_and_scope_refusals(services, user_token, params, error):
    response = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, **params)
    assert response.status_code == 400 and response.json()["error"] == error


def test_subject_token_of_another_client_or_forged(services, user_token):
    assert exchange("search", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                    audience="billing").json()["error"] == "invalid_request"
    assert exchange("marketplace", subject_token=user_token[:-4] + "AAAA", subject_token_type=ACCESS_TOKEN,
                    audience="search").json()["error"] == "invalid_request"


def test_the_exchanged_token_dies_with_the_session(services, user_token, browser):
    body = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, audience="search").json()
    me = lambda: Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")  # noqa: E731
    assert me().status_code == 200
    browser.post(reverse("accounts:end_all_sessions"))
    assert me().status_code == 401
    again = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, audience="search")
    assert again.json()["error"] == "invalid_request"


def test_unsupported_combinations_are_refused(services, user_token):
    response = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                        actor_token="x", actor_token_type="urn:openid:params:token-type:device-secret", audience="search")
    assert response.json()["error"] == "unsupported_token_type"
    wrong_requested = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN,
                               audience="search", requested_token_type="urn:ietf:params:oauth:token-type:id_token")
    assert wrong_requested.json()["error"] == "unsupported_token_type"


def test_may_act_in_the_subject_token_allows_delegation(services, user_token):
    from accounts.oauth.tokens import SSOAccessToken

    subject = claims(user_token)
    with_may_act = str(SSOAccessToken(audience="marketplace").set_claims(
        sub=subject["sub"], client_id="marketplace", scope=subject["scope"], sid=subject["sid"],
        may_act={"client_id": "marketplace"},
    ))
    response = exchange("marketplace", subject_token=with_may_act, subject_token_type=ACCESS_TOKEN,
                        actor_token=user_token, actor_token_type=ACCESS_TOKEN, audience="search")
    assert response.status_code == 200
    assert claims(response.json()["access_token"])["act"]["client_id"] == "marketplace"
