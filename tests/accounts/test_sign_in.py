"""Signing in and out (accounts.sign_in) and the browser's session following its SSO session."""

from __future__ import annotations

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import AuditEvent, SSOSession
from accounts.sign_in import sign_in, sign_out

pytestmark = pytest.mark.django_db
ACCOUNT = reverse("accounts:account")


def _request_with_session(client: Client):
    request = RequestFactory().get("/")
    request.session = client.session
    from django.contrib.auth import get_user

    request.user = get_user(request)
    return request


def test_sign_in_begins_an_sso_session_with_its_methods_and_last_login(user):
    request = _request_with_session(Client())
    session = sign_in(request, user, ["pwd", "otp"])
    user.refresh_from_db()
    assert session.auth_methods == "pwd otp" and session.is_active and request.session["sso_sid"] == session.sid
    assert user.last_login == session.started_at  # with the SSO session, not by Django's receiver again
    assert AuditEvent.objects.filter(event_type="login_success", user=user, sid=session.sid).exists()


def test_signing_in_again_as_the_same_user_keeps_the_sso_session(browser, user):
    sid = browser.session["sso_sid"]
    request = _request_with_session(browser)
    again = sign_in(request, user, ["pwd"])
    assert again.sid == sid and SSOSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


def test_signing_in_as_another_user_ends_the_first_ones_sso_session(browser, user, make_user):
    first = SSOSession.objects.get(sid=browser.session["sso_sid"])
    request = _request_with_session(browser)
    second = sign_in(request, make_user("grace@example.org"), ["pwd"])
    first.refresh_from_db()
    assert not first.is_active and second.is_active and second.sid != first.sid


def test_sign_out_ends_the_sso_session_and_the_browser_session(browser, user):
    sid = browser.session["sso_sid"]
    request = _request_with_session(browser)
    sign_out(request)
    assert not SSOSession.objects.get(sid=sid).is_active
    assert not request.user.is_authenticated
    assert AuditEvent.objects.filter(event_type="logout", user=user, sid=sid).exists()


def test_the_console_signs_in_on_the_idp_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login") + "?next=%2Fadmin%2F")


def test_a_session_hash_made_with_a_fallback_secret_still_signs_in(browser, user, settings):
    old_hash = browser.session[HASH_SESSION_KEY]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    assert browser.get(ACCOUNT).status_code == 200  # Django's path verified it with the fallback
    renewed = browser.session[HASH_SESSION_KEY]
    assert renewed != old_hash and renewed == user.get_session_auth_hash()
    assert browser.get(ACCOUNT).status_code == 200


def test_a_changed_password_signs_the_browser_out(browser, user):
    user.set_password("a completely different passphrase 7")
    user.save(update_fields=["password"])
    assert browser.get(ACCOUNT).status_code == 302


def test_a_deactivated_user_is_signed_out(browser, user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert browser.get(ACCOUNT).status_code == 302


def test_a_session_pointing_at_someone_elses_sso_session_is_signed_out(browser, make_user, password):
    other = Client()
    other_user = make_user("grace@example.org")
    assert other.post(reverse("accounts:login"), {"email": other_user.email, "password": password}).status_code == 302
    session = browser.session
    session["sso_sid"] = other.session["sso_sid"]
    session.save()
    assert browser.get(ACCOUNT).status_code == 302
    assert SSOSession.objects.get(sid=other.session["sso_sid"]).is_active  # theirs is untouched
    assert other.get(ACCOUNT).status_code == 200
