"""The design system on the IdP's pages: brand, theme, favicon, and forms that say what is wrong where."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
LOGIN, REGISTER = reverse("accounts:login"), reverse("accounts:register")


def test_every_page_carries_the_brand_the_logo_the_favicon_and_a_skip_link(client, settings):
    settings.SSO_BRAND_NAME = "Acme ID"
    page = client.get(LOGIN).content.decode()
    assert 'id="site-name">Acme ID<' in page and "<title>Sign in · Acme ID</title>" in page
    assert "ui/logo" in page and 'rel="icon"' in page and "ui/ui" in page
    assert '<a class="skip-link" href="#content">' in page and 'id="content"' in page
    assert "SSO identity provider" not in page


def test_the_accent_colour_comes_from_settings_and_only_as_a_colour(client, settings):
    settings.SSO_BRAND_COLOR = "#0a6e5c"
    assert client.get(reverse("theme")).content == b":root { --accent: #0a6e5c; }\n"
    settings.SSO_BRAND_COLOR = "red; } body { display: none"
    assert client.get(reverse("theme")).content == b":root { --accent: #3446b4; }\n"  # no injection


def test_favicon_ico_is_answered(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("ui/favicon.svg")


def test_a_field_error_sits_next_to_its_field_tied_by_aria_and_takes_the_focus(client):
    page = client.post(REGISTER, {"email": "not-an-address", "name": "", "password": "x", "password_confirm": "y"})
    html = page.content.decode()
    email = re.search(r"<input[^>]*name=\"email\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in email and 'aria-describedby="id_email_error"' in email and "autofocus" in email
    assert 'id="id_email_error"' in html and 'role="alert"><li>' not in html and "errorlist" not in html
    password = re.search(r"<input[^>]*name=\"password\"[^>]*>", html).group(0)
    assert "autofocus" not in password  # only the first invalid field


def test_the_password_rules_are_shown_before_the_user_types(client):
    html = client.get(REGISTER).content.decode()
    password = re.search(r"<input[^>]*name=\"password\"[^>]*>", html).group(0)
    assert 'aria-describedby="id_password_helptext"' in password
    hint = re.search(r'id="id_password_helptext">(.*?)</div>', html, re.S).group(1)
    assert "at least" in hint and "entirely numeric" in hint


def test_a_wrong_password_keeps_saying_which_site_the_user_signs_in_to(site, user):
    page = Client().post(LOGIN, {"email": user.email, "password": "wrong one", "client_id": site.client_id})
    assert page.status_code == 400 and f"to continue to <strong>{site.name}</strong>" in page.content.decode()
    assert 'role="alert"' in page.content.decode()  # the form's own error, announced


def test_error_pages_use_the_design(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "ui/ui" in page.content.decode() and "notice--error" in page.content.decode()
