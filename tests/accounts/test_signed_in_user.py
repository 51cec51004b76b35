"""The browser's user comes from the SSO-session read, accepted only as Django
would accept it; anything else is left to Django's own get_user."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import signed_in_user
from accounts.models import SSOSession

pytestmark = pytest.mark.django_db
ACCOUNT = reverse("accounts:account")


def request_signed_in_as(user, **overrides):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: signed_in_user.MODEL_BACKEND,
                            HASH_SESSION_KEY: user.get_session_auth_hash(), **overrides})
    return request


def test_accepts_the_session_django_would_accept(user):
    assert signed_in_user.accepts(request_signed_in_as(user), user)


@pytest.mark.parametrize("overrides", [
    {BACKEND_SESSION_KEY: "axes.backends.AxesStandaloneBackend"},
    {SESSION_KEY: "00000000-0000-0000-0000-000000000000"},
    {HASH_SESSION_KEY: ""},
    {HASH_SESSION_KEY: "0" * 64},
], ids=["other backend", "other user", "no session hash", "wrong session hash"])
def test_leaves_every_other_session_to_django(user, overrides):
    assert not signed_in_user.accepts(request_signed_in_as(user, **overrides), user)


def test_refuses_an_inactive_user(user):
    request = request_signed_in_as(user)
    user.is_active = False
    assert not signed_in_user.accepts(request, user)


def test_refuses_when_the_model_backend_is_no_longer_configured(user, settings):
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend"]
    assert not signed_in_user.accepts(request_signed_in_as(user), user)


def test_a_signed_in_page_reads_the_user_once_with_its_sso_session(browser, user):
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(ACCOUNT)
    assert page.status_code == 200 and user.email in page.content.decode()
    user_reads = [q["sql"] for q in queries if '"accounts_user"' in q["sql"]]
    assert len(user_reads) == 1, user_reads
    assert '"accounts_ssosession"' in user_reads[0]


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
