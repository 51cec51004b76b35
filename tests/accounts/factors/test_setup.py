"""Setting up an authenticator app from the account page, recovery codes shown once,
removal with the password ending the other sessions; every change audited."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, RecoveryCode, SSOSession, TOTPAuthenticator
from tests.support.oauth import signed_in

pytestmark = pytest.mark.django_db
SETUP = reverse("accounts:authenticator_setup")


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)


def test_setting_up_shows_a_qr_code_confirms_with_a_first_code_and_shows_ten_codes(browser, user, password, clock):
    page = browser.get(SETUP).content.decode()
    assert "<svg" in page and "<style" not in page  # drawn on the server, no inline style for the CSP
    secret = secret_on(page)
    assert browser.get(SETUP).content.decode().count(secret) == 1  # the same secret until confirmed
    wrong = browser.post(SETUP, {"code": "000000", "password": password})
    assert wrong.status_code == 400 and not TOTPAuthenticator.objects.get(user=user).confirmed_at

    done = browser.post(SETUP, {"code": pyotp.TOTP(secret).at(clock.now), "password": password})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPAuthenticator.objects.get(user=user).confirmed_at is not None
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert AuditEvent.objects.filter(event_type="second_factor_added", user=user).count() == 1
    assert browser.get(SETUP).status_code == 302  # set up: the overview, never the secret again


def test_setting_up_needs_the_current_password(browser, user, clock):
    secret = secret_on(browser.get(SETUP).content.decode())
    response = browser.post(SETUP, {"code": pyotp.TOTP(secret).at(clock.now), "password": "not mine"})
    assert response.status_code == 400 and "not entered correctly" in response.content.decode()
    assert TOTPAuthenticator.objects.get(user=user).confirmed_at is None


def test_new_recovery_codes_replace_the_old_ones(app_user, password):
    browser = signed_in(Client(), app_user)
    page = browser.post(reverse("accounts:recovery_codes"), {"password": password}).content.decode()
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(new) == 10 and not set(new) & set(app_user.codes)
    assert AuditEvent.objects.filter(event_type="recovery_codes_regenerated").count() == 1
    refused = browser.post(reverse("accounts:recovery_codes"), {"password": "wrong"})
    assert refused.status_code == 302 and RecoveryCode.objects.filter(user=app_user).count() == 10


def test_removing_the_app_needs_the_password_and_ends_the_other_sessions(app_user, password):
    other, this = signed_in(Client(), app_user), signed_in(Client(), app_user)
    remove = reverse("accounts:authenticator_remove")
    assert this.post(remove, {"password": "wrong"}).status_code == 302
    assert TOTPAuthenticator.objects.filter(user=app_user).exists()
    assert this.post(remove, {"password": password}).status_code == 302
    assert not TOTPAuthenticator.objects.filter(user=app_user).exists()
    assert not RecoveryCode.objects.filter(user=app_user).exists()
    assert SSOSession.objects.filter(user=app_user, ended_at__isnull=True).count() == 1
    assert other.get(reverse("accounts:account")).status_code == 302
    assert this.get(reverse("accounts:account")).status_code == 200
    assert AuditEvent.objects.filter(event_type="second_factor_removed", user=app_user).count() == 1
