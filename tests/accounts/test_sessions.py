"""The account page's sessions, sign out, sign out everywhere."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, SSOSession

pytestmark = pytest.mark.django_db
ACCOUNT = reverse("accounts:account")


@pytest.fixture
def two_browsers(user, password):
    browsers = [Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="2001:db8:abcd:12::1")]
    for browser in browsers:
        assert browser.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    return browsers


def test_account_page_lists_active_sessions_with_reduced_networks(two_browsers):
    page = two_browsers[0].get(ACCOUNT).content.decode()
    assert "ada@example.org" in page
    assert "203.0.113.0/24" in page and "2001:db8:abcd::/48" in page
    assert "203.0.113.5" not in page
    assert page.count(">this device<") == 1


def test_signing_out_another_session_ends_it_at_once(two_browsers, user):
    first, second = two_browsers
    second_session = SSOSession.objects.get(sid=second.session["sso_sid"])
    response = first.post(reverse("accounts:end_session", args=[second_session.pk]))
    assert response.status_code == 302
    assert second.get(ACCOUNT).status_code == 302  # sent to the login page
    assert first.get(ACCOUNT).status_code == 200
    second_session.refresh_from_db()
    assert second_session.end_reason == "signed_out_elsewhere"


def test_sign_out_everywhere_ends_every_session(two_browsers, user):
    first, second = two_browsers
    response = first.post(reverse("accounts:end_all_sessions"), follow=True)
    assert response.status_code == 200
    assert "Every session of your account has been ended" in response.content.decode()
    assert first.get(ACCOUNT).status_code == 302
    assert second.get(ACCOUNT).status_code == 302
    assert not SSOSession.objects.active().filter(user=user).exists()
    assert AuditEvent.objects.filter(event_type="session_ended", user=user).count() == 2


def test_cannot_end_someone_elses_session(two_browsers, make_user, password):
    stranger = Client()
    intruder = make_user("intruder@example.org")
    stranger.post(reverse("accounts:login"), {"email": intruder.email, "password": password})
    victim_session = SSOSession.objects.get(sid=two_browsers[0].session["sso_sid"])
    assert stranger.post(reverse("accounts:end_session", args=[victim_session.pk])).status_code == 404
    victim_session.refresh_from_db()
    assert victim_session.is_active


def test_logout_needs_a_post_and_ends_the_sso_session(two_browsers):
    first = two_browsers[0]
    sid = first.session["sso_sid"]
    assert first.get(reverse("accounts:logout")).status_code == 200
    assert SSOSession.objects.get(sid=sid).is_active
    first.post(reverse("accounts:logout"))
    ended = SSOSession.objects.get(sid=sid)
    assert (ended.is_active, ended.end_reason) == (False, "logout")
    assert AuditEvent.objects.filter(event_type="logout", sid=sid).exists()
