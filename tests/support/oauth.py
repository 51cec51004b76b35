"""Helpers and fixtures for the OIDC/OAuth tests: registered sites, PKCE, the code flow, token requests."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts import store
from accounts.oauth.registry import SiteRegistration, new_client_secret, register_site

SECRET = new_client_secret()  # as strong as a generated one: weaker ones are refused
REDIRECT = "http://127.0.0.1:8001/oidc/callback/"
# A registration form every validator accepts.
REGISTRATION = {
    "email": "grace@example.org",
    "name": "Grace Hopper",
    "password": "a long enough passphrase 7",
    "password_confirm": "a long enough passphrase 7",
}


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> "Pkce":
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@pytest.fixture
def site(db):
    site, _ = register_site(
        SiteRegistration(
            client_id="marketplace",
            name="Skills Marketplace",
            redirect_uris=[REDIRECT],
            post_logout_redirect_uris=["http://127.0.0.1:8001/"],
            backchannel_logout_uri="http://127.0.0.1:8001/oidc/backchannel-logout/",
            client_secret=SECRET,
        )
    )
    return site


@pytest.fixture
def pairwise_sites(db):
    sites = []
    for client_id, host in (("languages", "127.0.0.2:8002"), ("books", "127.0.0.3:8003")):
        registered, _ = register_site(
            SiteRegistration(
                client_id=client_id,
                name=client_id.title(),
                redirect_uris=[f"http://{host}/oidc/callback/"],
                client_secret=SECRET,
                subject_type="pairwise",
            )
        )
        sites.append(registered)
    return sites


def another_site(client_id: str, **fields):
    """A confidential site beside ``site``, registered with ``fields`` (scopes, first_party, requirements)."""
    registered, _ = register_site(
        SiteRegistration(
            client_id=client_id, name=client_id.title(), redirect_uris=[REDIRECT], client_secret=SECRET, **fields
        )
    )
    return registered


def access_token_for(browser: Client, site, scope: str) -> str:
    """An access token of ``browser``'s user at ``site`` with ``scope``, through the code flow."""
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce, scope=scope), pkce).json()["access_token"]


def authorize_params(site, pkce: Pkce, **overrides) -> dict[str, str]:
    params = {
        "client_id": site.client_id,
        "redirect_uri": site.redirect_uris[0],
        "response_type": "code",
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def obtain_code(browser: Client, site, pkce: Pkce, **overrides) -> str:
    """Authorize with consent given: returns the code from the redirect."""
    params = authorize_params(site, pkce, **overrides)
    response = browser.get(reverse("oauth:authorize"), params)
    if response.status_code == 200:  # consent page
        response = browser.post(reverse("oauth:authorize"), {**params, "decision": "allow"})
    assert response.status_code == 302, response.content
    query = query_of(response["Location"])
    assert "code" in query, query
    return query["code"]


FORM = "application/x-www-form-urlencoded"


def form_post(client: Client, url: str, data: dict, **headers):
    """POST as RFC 6749 requires: application/x-www-form-urlencoded."""
    return client.post(url, urlencode(data), content_type=FORM, **headers)


def token_request(client: Client, data: dict, secret: str | None = SECRET, client_id: str = "marketplace", **headers):
    if secret is not None:
        data = {"client_id": client_id, "client_secret": secret, **data}
    return form_post(client, reverse("oauth:token"), data, **headers)


def exchange_code(client: Client, site, code: str, pkce: Pkce):
    return token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": site.redirect_uris[0],
            "code_verifier": pkce.verifier,
        },
        client_id=site.client_id,
    )


@pytest.fixture(params=["one_statement", "orm"])
def write_path(request, monkeypatch):
    """The store writes in one SQL statement on PostgreSQL and through the ORM
    elsewhere (accounts.store): both must keep every rule, so the tests that
    matter run on each."""
    if request.param == "orm":
        monkeypatch.setattr(store, "current", lambda: store.orm.STORE)
    elif store.current() is not store.postgresql.STORE:
        pytest.skip("the one-statement writes need PostgreSQL")
    return request.param


def signed_in(client: Client, user) -> Client:
    """``client`` signed in as ``user`` through accounts.sign_in, as a password sign-in
    leaves it, without the cost of hashing a password (Django's force_login, for SSO)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from accounts.sign_in import sign_in

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = AnonymousUser()
    sign_in(request, user)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client
