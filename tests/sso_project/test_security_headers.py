from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_sends_security_headers(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "no-cache" in response["Cache-Control"]


def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(client, user, password):
    client.get(reverse("accounts:login"))
    client.post(reverse("accounts:login"), {"email": user.email, "password": password})
    for name in ("sessionid", "csrftoken"):
        cookie = client.cookies[name]
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


def test_pages_send_forms_only_to_this_site_and_registered_redirect_origins(client, site):
    """A submitted form, and the redirects after it, may reach no origin but ours and the sites'."""
    csp = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    form_action = next(part.strip() for part in csp.split(";") if part.strip().startswith("form-action"))
    assert form_action.split() == ["form-action", "'self'", "http://127.0.0.1:8001"]


def test_a_new_site_is_allowed_as_a_form_target_at_once(client, site):
    from accounts.oauth.registry import SiteRegistration, register_site

    client.get(reverse("accounts:login"))
    register_site(
        SiteRegistration(
            client_id="books",
            name="Books",
            redirect_uris=["https://books.example/cb"],
            post_logout_redirect_uris=["https://after.books.example/"],
        )
    )
    csp = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert "https://books.example" in csp and "https://after.books.example" in csp
