"""Profile 2: OpenID Connect Native SSO for Mobile Apps 1.0 (draft 07)."""

from __future__ import annotations

from io import StringIO

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, PartnerSite, SessionSite, SSOSession
from accounts.oauth.claims import token_hash
from accounts.oauth.sector_sid import sid_for
from tests.support.exchange import (
    ACCESS_TOKEN,
    exchange,
    native_app,
    native_sso_params,
)
from tests.support.oauth import Pkce, exchange_code, obtain_code, token_request
from tokenexchange.models import DeviceSecret

pytestmark = pytest.mark.django_db


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_code_grant_with_device_sso_returns_a_device_secret_bound_by_ds_hash(first_app_tokens, user):
    id_token = claims(first_app_tokens["id_token"])
    secret = first_app_tokens["device_secret"]
    assert len(secret) >= 40
    assert id_token["ds_hash"] == token_hash(secret, "RS256")
    assert id_token["sid"] == sid_for(
        SSOSession.objects.get(user=user).sid, PartnerSite.objects.get(client_id="acme-mail")
    )
    stored = DeviceSecret.objects.get()
    assert secret not in stored.secret_hash and (stored.expires_at - stored.created_at).days == 90


def test_without_device_sso_there_is_neither_device_secret_nor_ds_hash(browser):
    app = native_app("acme-mail")
    pkce = Pkce.new()
    body = exchange_code(Client(), app, obtain_code(browser, app, pkce, scope="openid"), pkce).json()
    assert "device_secret" not in body and "ds_hash" not in claims(body["id_token"])


def test_a_device_secret_already_held_is_reused_and_an_invalid_one_ignored(first_app_tokens, browser):
    app = native_app("acme-mail")
    held = first_app_tokens["device_secret"]
    pkce = Pkce.new()
    code = obtain_code(browser, app, pkce, scope="openid device_sso")
    body = token_request(
        Client(),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris[0],
            "code_verifier": pkce.verifier,
            "device_secret": held,
        },
        client_id="acme-mail",
    ).json()
    assert body["device_secret"] == held
    refreshed = token_request(
        Client(),
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "device_secret": "not-a-real-secret"},
        client_id="acme-mail",
    )
    assert refreshed.status_code == 200
    fresh = refreshed.json()
    assert fresh["device_secret"] != held
    assert claims(fresh["id_token"])["ds_hash"] == token_hash(fresh["device_secret"], "RS256")


def test_second_app_signs_in_without_a_password_on_the_same_session(first_app_tokens, user):
    native_app("acme-calendar")
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and body["token_type"] == "Bearer"
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(body)
    assert "scope" not in body  # identical to the request (RFC 8693 section 2.2.1)
    session = SSOSession.objects.get(user=user)
    calendar = PartnerSite.objects.get(client_id="acme-calendar")
    assert claims(body["access_token"])["sid"] == sid_for(session.sid, calendar)  # one sector: the apps' host
    assert claims(body["access_token"])["sid"] == claims(first_app_tokens["id_token"])["sid"]
    assert claims(body["id_token"])["aud"] == "acme-calendar"
    assert SessionSite.objects.filter(sso_session=session, site__client_id="acme-calendar").exists()
    assert DeviceSecret.objects.count() == 1  # not rotated
    assert AuditEvent.objects.filter(
        event_type="token_issued", client_id="acme-calendar", detail__grant="token-exchange:native_sso"
    ).exists()


def test_the_early_draft_token_type_name_is_accepted(first_app_tokens):
    native_app("acme-calendar")
    params = native_sso_params(first_app_tokens, actor_token_type="urn:x-oath:params:oauth:token-type:device-secret")
    assert exchange("acme-calendar", **params).status_code == 200


def test_an_expired_id_token_is_still_accepted(first_app_tokens, monkeypatch, browser):
    from datetime import timedelta

    from accounts.oauth.tokens import IDToken

    native_app("acme-calendar")
    monkeypatch.setattr(IDToken, "lifetime", timedelta(seconds=-120))
    app = native_app("acme-mail")
    pkce = Pkce.new()
    old = exchange_code(Client(), app, obtain_code(browser, app, pkce, scope="openid device_sso"), pkce).json()
    assert claims(old["id_token"])["exp"] < claims(old["access_token"])["iat"]
    assert exchange("acme-calendar", **native_sso_params(old)).status_code == 200


def test_logout_revokes_device_secrets_and_the_exchange_then_fails(first_app_tokens, browser):
    native_app("acme-calendar")
    browser.post(reverse("accounts:end_all_sessions"))
    assert DeviceSecret.objects.get().revoked_at is not None
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_live_device_secret_of_an_ended_session_is_invalid_grant(first_app_tokens, user):
    native_app("acme-calendar")
    SSOSession.objects.filter(user=user).update(ended_at="2026-01-01T00:00:00Z")
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens))
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "case, overrides, error",
    [
        ("wrong device secret", {"actor_token": "x" * 43}, "invalid_request"),
        ("missing actor_token", {"actor_token": None, "actor_token_type": None}, "invalid_request"),
        ("actor_token without type", {"actor_token_type": None}, "invalid_request"),
        ("missing audience", {"audience": None}, "invalid_request"),
        ("foreign audience", {"audience": "https://elsewhere.example"}, "invalid_target"),
        ("scope without openid", {"scope": "profile"}, "invalid_scope"),
        ("scope beyond the client", {"scope": "openid offline_access email admin"}, "invalid_scope"),
        ("forged id token", {"subject_token": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request"),
        ("unknown token type", {"subject_token_type": "urn:example:saml"}, "unsupported_token_type"),
    ],
)
def test_refusals_issue_nothing(first_app_tokens, case, overrides, error):
    native_app("acme-calendar")
    before = SessionSite.objects.count()
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens, **overrides))
    assert response.status_code == 400, case
    assert response.json()["error"] == error, case
    assert response["Cache-Control"] == "no-store"
    assert SessionSite.objects.count() == before
    assert AuditEvent.objects.filter(event_type="token_exchange_refused", client_id="acme-calendar").exists()


def test_mismatched_ds_hash_is_refused(first_app_tokens, browser):
    native_app("acme-calendar")
    app = native_app("acme-mail")
    pkce = Pkce.new()
    other = exchange_code(Client(), app, obtain_code(browser, app, pkce, scope="openid device_sso"), pkce).json()
    mixed = native_sso_params(first_app_tokens, actor_token=other["device_secret"])
    response = exchange("acme-calendar", **mixed)
    assert response.json()["error"] == "invalid_request"
    assert "ds_hash" in response.json()["error_description"]


def test_device_secret_of_another_session_is_refused(first_app_tokens, make_user, password):
    from tests.support.oauth import obtain_code as code_for

    native_app("acme-calendar")
    app = native_app("acme-mail")
    someone = make_user("someone@example.org")
    other_browser = Client()
    other_browser.post(reverse("accounts:login"), {"email": someone.email, "password": password})
    pkce = Pkce.new()
    theirs = exchange_code(Client(), app, code_for(other_browser, app, pkce, scope="openid device_sso"), pkce).json()
    # Their device secret with our ID token: ds_hash cannot match, and the sid differs.
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens, actor_token=theirs["device_secret"]))
    assert response.json()["error"] == "invalid_request"


def test_clients_outside_the_vendor_group_are_refused(first_app_tokens):
    native_app("other-vendor-app", vendor="globex")
    assert exchange("other-vendor-app", **native_sso_params(first_app_tokens)).json()["error"] == "invalid_request"
    native_app("not-native", native_sso=False)
    assert exchange("not-native", **native_sso_params(first_app_tokens)).json()["error"] == "unauthorized_client"


def test_scopes_needing_consent_are_interaction_required(first_app_tokens):
    native_app("acme-partner-app", first_party=False)
    response = exchange("acme-partner-app", **native_sso_params(first_app_tokens))
    assert response.status_code == 400 and response.json()["error"] == "interaction_required"


def test_discovery_advertises_native_sso(client):
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["native_sso_supported"] is True and "device_sso" in meta["scopes_supported"]


def test_an_expired_device_secret_is_refused(first_app_tokens):
    from django.utils import timezone

    native_app("acme-calendar")
    DeviceSecret.objects.update(expires_at=timezone.now())
    response = exchange("acme-calendar", **native_sso_params(first_app_tokens))
    assert response.json()["error"] == "invalid_request" and "expired" in response.json()["error_description"]


def test_purge_removes_expired_device_secrets_and_keeps_live_ones(first_app_tokens, browser):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    live = DeviceSecret.objects.get()
    expired = DeviceSecret.objects.create(
        secret_hash="0" * 64, sso_session=live.sso_session, issued_to=live.issued_to, expires_at=timezone.now()
    )
    DeviceSecret.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("purge", stdout=StringIO())
    assert list(DeviceSecret.objects.values_list("pk", flat=True)) == [live.pk]
