"""Download my data: everything about the account, no secret, after the password again;
audited, made on demand."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factors import recovery, totp
from accounts.models import AuditEvent, Consent, Passkey, SiteAccount, TOTPAuthenticator
from tests.support.oauth import signed_in

pytestmark = pytest.mark.django_db
EXPORT = reverse("accounts:export")


def test_a_bare_account_exports_its_profile_sessions_and_events(user, password):
    browser = signed_in(Client(), user)
    response = browser.post(EXPORT, {"password": password, "as": "json"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == user.email and data["profile"]["email_verified"] is False
    assert data["second_factors"] == {"authenticator_app": None, "passkeys": [], "recovery_codes_left": 0}
    assert len(data["sessions"]) == 1 and data["sessions"][0]["network"]
    assert data["consents"] == [] and data["sites_signed_in_to"] == []
    assert [e["event"] for e in data["audit_events"]] == ["login_success"]
    assert AuditEvent.objects.filter(event_type="data_exported", user=user).count() == 1


def test_every_kind_of_data_is_in_and_no_secret(user, password, site):
    device = totp.pending_authenticator(user)
    TOTPAuthenticator.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")
    codes = recovery.new_recovery_codes(user)
    Passkey.objects.create(user=user, credential_id="cred-1", public_key=b"\x01" * 77, name="Laptop")
    Consent.objects.create(user=user, site=site, scopes=["openid", "email"])
    SiteAccount.objects.create(user=user, site=site)
    browser = signed_in(Client(), user)
    text = browser.post(EXPORT, {"password": password, "as": "json"}).content.decode()
    data = json.loads(text)
    assert data["second_factors"]["authenticator_app"]["set_up_at"].startswith("2026-01-01")
    assert data["second_factors"]["passkeys"][0]["name"] == "Laptop"
    assert data["second_factors"]["recovery_codes_left"] == 10
    assert data["consents"][0]["client_id"] == site.client_id
    assert data["sites_signed_in_to"][0]["client_id"] == site.client_id
    for secret in (device.secret, user.password, "cred-1", *codes, *(c.replace("-", "") for c in codes)):
        assert secret not in text
    assert user.email_index not in text


def test_the_readable_view_shows_the_same(user, password):
    page = signed_in(Client(), user).post(EXPORT, {"password": password, "as": "html"}).content.decode()
    assert user.email in page and "login_success" in page


def test_without_the_password_nothing_is_exported(user, client):
    browser = signed_in(Client(), user)
    refused = browser.post(EXPORT, {"password": "wrong", "as": "json"})
    assert refused.status_code == 400 and "not entered correctly" in refused.content.decode()
    assert not AuditEvent.objects.filter(event_type="data_exported").exists()
    assert client.post(EXPORT, {"password": "x"}).status_code == 302  # not signed in: to sign in
