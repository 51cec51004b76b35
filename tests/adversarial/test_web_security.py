"""Web security: CSRF on every state-changing form, fixation, framing, production headers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Consent, SSOSession
from tests.support.oauth import Pkce, authorize_params, obtain_code, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_browser(user, password):
    """A signed-in browser whose POSTs carry the session cookie but no CSRF token."""
    return signed_in(Client(enforce_csrf_checks=True), user)


def state(user):
    return (
        SSOSession.objects.active().filter(user=user).count(),
        Consent.objects.filter(user=user).count(),
        user.password,
    )


@pytest.mark.parametrize(
    "name, url",
    [
        ("logout", lambda site, session: reverse("accounts:logout")),
        ("sign out one session", lambda site, session: reverse("accounts:end_session", args=[session.pk])),
        ("sign out everywhere", lambda site, session: reverse("accounts:end_all_sessions")),
        ("password change", lambda site, session: reverse("accounts:password_change")),
        (
            "withdraw consent",
            lambda site, session: reverse("accounts:withdraw_consent", args=[Consent.objects.first().pk]),
        ),
        ("consent", lambda site, session: reverse("oauth:authorize")),
        ("end-session confirmation", lambda site, session: reverse("oauth:end_session")),
    ],
)
def test_every_state_changing_form_needs_its_csrf_token(site, browser, strict_browser, user, name, url):
    obtain_code(browser, site, Pkce.new())  # a consent to withdraw
    session = SSOSession.objects.active().filter(user=user).first()
    before = state(user)
    data = {
        **authorize_params(site, Pkce.new()),
        "decision": "allow",
        "old_password": "x",
        "new_password1": "another passphrase 99",
        "new_password2": "another passphrase 99",
    }
    response = strict_browser.post(url(site, session), data)
    assert response.status_code == 403, name
    user.refresh_from_db()
    assert state(user) == before, name


def test_pages_cannot_be_framed_and_carry_security_headers(client):
    for url in (reverse("accounts:login"), reverse("accounts:register"), "/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_planted_session_id_is_not_kept_through_login(client, user, password):
    client.cookies["sessionid"] = "attacker-chosen-session-id-0123456789"
    client.post(reverse("accounts:login"), {"email": user.email, "password": password})
    assert client.cookies["sessionid"].value != "attacker-chosen-session-id-0123456789"
