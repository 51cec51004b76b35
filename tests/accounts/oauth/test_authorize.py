"""The authorization endpoint: SSO, consent, prompt, max_age, and refusing to be an open redirector."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuthorizationCode, Consent, SessionSite, SSOSession, User
from tests.support.oauth import Pkce, authorize_params, obtain_code, query_of

pytestmark = pytest.mark.django_db
AUTHORIZE = reverse("oauth:authorize")


def test_without_a_session_the_user_signs_in_then_returns_to_the_site(site, user, password):
    browser, pkce = Client(), Pkce.new()
    response = browser.get(AUTHORIZE, authorize_params(site, pkce))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    login_page = browser.get(response["Location"])
    assert "to continue to <strong>Skills Marketplace</strong>" in login_page.content.decode()
    back = browser.post(response["Location"], {"email": user.email, "password": password})
    assert back["Location"].startswith(AUTHORIZE)
    consent = browser.get(back["Location"])
    page = consent.content.decode()
    assert "Continue to Skills Marketplace as ada@example.org?" in page
    assert 'name="decision" value="allow"' in page
    assert "See your email address" in page


def test_consent_is_remembered_so_the_next_visit_is_single_sign_on(site, browser):
    obtain_code(browser, site, Pkce.new())
    assert Consent.objects.filter(site=site).count() == 1
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new()))
    assert response.status_code == 302  # straight back with a code: no password, no consent page
    query = query_of(response["Location"])
    assert response["Location"].startswith(site.redirect_uris[0])
    assert query["state"] == "state-123" and query["iss"] == "http://localhost:8000" and query["code"]


def test_more_scopes_than_consented_ask_again_and_write_nothing(site, browser):
    obtain_code(browser, site, Pkce.new(), scope="openid")
    links, codes = SessionSite.objects.count(), AuthorizationCode.objects.count()
    assert browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), scope="openid email")).status_code == 200
    assert (SessionSite.objects.count(), AuthorizationCode.objects.count()) == (links, codes)


def test_consent_covers_scopes_in_any_order_for_its_own_user_only(site, browser, user):
    Consent.objects.create(user=user, site=site, scopes=["email", "profile", "openid"])
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), scope="openid email"))
    assert "code" in query_of(response["Location"])
    stored = AuthorizationCode.objects.get()
    assert (stored.scope, stored.user_id) == ("openid email", user.pk)
    assert SessionSite.objects.filter(site=site, sso_session=stored.sso_session).exists()
    Consent.objects.filter(user=user).update(
        user=User.objects.create_user(email="other@example.org", password="x" * 12)
    )
    assert browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), scope="openid email")).status_code == 200


def test_declining_consent_returns_access_denied(site, browser):
    params = authorize_params(site, Pkce.new())
    response = browser.post(AUTHORIZE, {**params, "decision": "deny"})
    assert query_of(response["Location"])["error"] == "access_denied"
    assert not Consent.objects.exists() and not AuthorizationCode.objects.exists()


def test_consent_post_needs_csrf(site, user, password):
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("accounts:login"))
    browser.post(
        reverse("accounts:login"),
        {"email": user.email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
    )
    response = browser.post(AUTHORIZE, {**authorize_params(site, Pkce.new()), "decision": "allow"})
    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_prompt_none_without_session_or_consent(site, browser):
    anonymous = Client().get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="none"))
    assert query_of(anonymous["Location"])["error"] == "login_required"
    no_consent = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="none"))
    assert query_of(no_consent["Location"])["error"] == "consent_required"
    obtain_code(browser, site, Pkce.new())
    silent = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="none"))
    assert "code" in query_of(silent["Location"])


def test_prompt_login_and_max_age_force_the_password(site, browser, user, password):
    obtain_code(browser, site, Pkce.new())
    forced = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="login"))
    assert forced["Location"].startswith(reverse("accounts:login"))
    back = browser.post(forced["Location"], {"email": user.email, "password": password})
    assert "prompt" not in query_of(back["Location"])
    code_redirect = browser.get(back["Location"])
    assert "code" in query_of(code_redirect["Location"])
    assert SSOSession.objects.active().filter(user=user).count() == 1  # re-authenticated, same session

    SSOSession.objects.filter(user=user).update(auth_time=timezone.now() - timedelta(hours=2))
    stale = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), max_age="3600"))
    assert stale["Location"].startswith(reverse("accounts:login"))
    fresh_enough = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), max_age="86400"))
    assert "code" in query_of(fresh_enough["Location"])


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1:8001/oidc/callback/extra",
        "http://127.0.0.1:8001/oidc/callback",
        "http://127.0.0.1:8001/oidc/callback/?x=1",
        "//evil.example/",
        None,
    ],
)
def test_redirect_uri_mismatch_shows_a_page_and_never_redirects(site, browser, redirect_uri):
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "has not registered" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_unknown_client_shows_a_page(browser, site):
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), client_id="nobody"))
    assert response.status_code == 400
    assert "not registered" in response.content.decode()


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"request": "eyJ..."}, "request_not_supported"),
    ],
)
def test_bad_requests_go_back_with_an_error_and_the_state(site, browser, overrides, error):
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), **overrides))
    assert response.status_code == 302 and response["Location"].startswith(site.redirect_uris[0])
    query = query_of(response["Location"])
    assert query["error"] == error and query["state"] == "state-123" and query["error_description"]
    assert not AuthorizationCode.objects.exists()


def test_codes_are_stored_only_as_digests(site, browser):
    code = obtain_code(browser, site, Pkce.new())
    stored = AuthorizationCode.objects.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64


def test_first_party_sites_skip_the_consent_page(site, browser):
    site.first_party = True
    site.save()
    response = browser.get(AUTHORIZE, authorize_params(site, Pkce.new()))
    assert "code" in query_of(response["Location"])


def test_max_age_0_asks_for_the_password_once_then_returns_with_a_code(site, browser, user, password):
    """The attack on usability: max_age=0 stayed in the way back, so login looped forever (OIDC Core 3.1.2.1)."""
    obtain_code(browser, site, Pkce.new())
    forced = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), max_age="0"))
    assert forced["Location"].startswith(reverse("accounts:login"))
    back = browser.post(forced["Location"], {"email": user.email, "password": password})
    assert back["Location"].startswith(AUTHORIZE) and "max_age" not in query_of(back["Location"])
    code_redirect = browser.get(back["Location"])
    assert code_redirect["Location"].startswith(site.redirect_uris[0]) and "code" in query_of(code_redirect["Location"])


def test_max_age_0_with_the_consent_page_does_not_loop_either(site, browser, user, password):
    forced = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), max_age="0", prompt="consent"))
    back = browser.post(forced["Location"], {"email": user.email, "password": password})
    consent_page = browser.get(back["Location"])
    assert consent_page.status_code == 200 and 'value="0"' not in consent_page.content.decode()
    allowed = browser.post(AUTHORIZE, {**query_of(back["Location"]), "decision": "allow"})
    assert "code" in query_of(allowed["Location"])


def test_prompt_select_account_offers_the_signed_in_account_or_another(site, browser, user, make_user, password):
    """Discovery advertises prompt=select_account: the attack on trust found it ignored."""
    obtain_code(browser, site, Pkce.new())
    page = browser.get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="select_account"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'You are signed in as <strong id="signed-in-account">ada@example.org</strong>' in text
    continue_url = page.context["continue_url"]
    assert "select_account" not in continue_url
    carried_on = browser.get(continue_url)
    assert carried_on["Location"].startswith(site.redirect_uris[0]) and "code" in query_of(carried_on["Location"])

    other = make_user("grace@example.org")
    switch = browser.get(page.context["switch_url"])
    assert switch.status_code == 200 and "to continue to <strong>Skills Marketplace</strong>" in switch.content.decode()
    back = browser.post(page.context["switch_url"], {"email": other.email, "password": password})
    consent = browser.get(back["Location"])
    assert "Continue to Skills Marketplace as grace@example.org?" in consent.content.decode()
    assert not SSOSession.objects.active().filter(user=user).exists()  # the first account signed out here


def test_prompt_select_account_without_a_session_asks_to_sign_in(site):
    response = Client().get(AUTHORIZE, authorize_params(site, Pkce.new(), prompt="select_account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
