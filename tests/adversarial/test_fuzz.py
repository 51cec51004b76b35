"""Hostile input: arbitrary bytes, huge values and unicode edge cases get a clean 4xx, never a 5xx."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.oauth.access import InvalidAccessToken, verify_access_token
from accounts.oauth.token_lookup import identify_token, read_id_token_hint
from tests.support.oauth import SECRET

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PARAM_NAMES = st.sampled_from(
    [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "client_id",
        "client_secret",
        "scope",
        "subject_token",
        "subject_token_type",
        "actor_token",
        "actor_token_type",
        "audience",
        "resource",
        "requested_token_type",
        "device_secret",
        "token",
        "token_type_hint",
    ]
)
GRANTS = st.sampled_from(
    ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange", "password", "", "\x00"]
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)
JUNK = st.one_of(TEXT, st.binary(max_size=300).map(lambda b: b.decode("latin-1")), st.just("a" * 20_000))


@FUZZ
@given(grant=GRANTS, extra=st.dictionaries(PARAM_NAMES, JUNK, max_size=6))
def test_token_endpoint_answers_any_form_with_a_4xx(site, grant, extra):
    data = {"grant_type": grant, "client_id": "marketplace", "client_secret": SECRET, **extra}
    from urllib.parse import urlencode

    response = Client().post(reverse("oauth:token"), urlencode(data), content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500, response.content
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"]


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/json",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "text/plain",
            "",
        ]
    ),
)
def test_token_endpoint_answers_any_body_with_a_4xx(site, body, content_type):
    response = Client().generic("POST", reverse("oauth:token"), body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response["Cache-Control"] == "no-store" and response.json()["error"]  # RFC 6749 section 5.2


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
                "prompt",
                "max_age",
                "request",
            ]
        ),
        JUNK,
        max_size=8,
    )
)
def test_authorize_answers_any_query_without_a_5xx(site, browser, params):
    response = browser.get(reverse("oauth:authorize"), params)
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith(("/login/", site.redirect_uris[0]))  # never an unregistered redirect


@FUZZ
@given(raw=JUNK)
def test_token_parsers_refuse_garbage_cleanly(raw):
    assert identify_token(raw) is None
    assert read_id_token_hint(raw) is None
    with pytest.raises(InvalidAccessToken):
        verify_access_token(raw)


@FUZZ
@given(email=JUNK, password=JUNK, name=JUNK)
def test_registration_and_login_forms_answer_garbage_with_a_4xx(db, email, password, name):
    from django.core.cache import cache

    cache.clear()  # each example from a fresh network allowance, or the throttle answers them all
    client = Client()
    register = client.post(
        reverse("accounts:register"), {"email": email, "name": name, "password": password, "password_confirm": password}
    )
    assert register.status_code in (302, 400)
    login = client.post(reverse("accounts:login"), {"email": email, "password": password})
    assert login.status_code in (302, 400, 429)


@pytest.mark.parametrize(
    "method, url, data, status, json_error",
    [
        ("post", "/oauth/token/", "grant_type=refresh_token&client_id=market%00place&refresh_token=x", 400, True),
        ("get", "/oauth/authorize/?client_id=market%00place&redirect_uri=x", None, 400, False),
        ("get", "/login/?client_id=%00", None, 400, False),
        ("post", "/oauth/introspect/", "token=abc&client_id=%00", 400, True),
    ],
)
def test_nul_characters_are_refused_before_reaching_the_database(site, method, url, data, status, json_error):
    client = Client()
    if method == "post":
        response = client.post(url, data, content_type="application/x-www-form-urlencoded")
    else:
        response = client.get(url)
    assert response.status_code == status
    if json_error:
        assert response.json()["error"] == "invalid_request" and response["Cache-Control"] == "no-store"
    else:
        assert "characters that are not allowed" in response.content.decode()
