"""The production WSGI application (sso_project/wsgi.py) serves the token, revocation and
introspection endpoints through a handler without the page middleware, and everything else
through the full one; both keep security headers, CORS, the request id and the metrics."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory

from tests.support.metrics import metric_value
from tests.support.oauth import SECRET, Pkce, exchange_code, obtain_code

pytestmark = pytest.mark.django_db
PARTNER_ORIGIN = "http://127.0.0.1:8001"  # the site fixture's registered origin
FORM = "application/x-www-form-urlencoded"


def call(path: str, method: str = "GET", form: dict | None = None, **headers) -> tuple[int, dict, bytes]:
    """One request to the production application, as gunicorn hands it over (the WSGI
    environ of Django's RequestFactory)."""
    from sso_project.wsgi import application

    extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    if form is None:
        environ = RequestFactory().generic(method, path, **extra).environ
    else:
        environ = RequestFactory().generic(method, path, urlencode(form), FORM, **extra).environ
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), {}
        for name, value in response_headers:
            answer["headers"].setdefault(name.lower(), []).append(value)

    # As Django's test client does: the test's transaction holds the connection, which the
    # handler's request_started and request_finished would otherwise close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def basic(client_id: str = "marketplace", secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_a_refresh_is_served_without_the_page_middleware_and_keeps_its_checks(site, browser):
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    status, headers, body = call("/oauth/token/", "POST", form, Authorization=basic(), Origin=PARTNER_ORIGIN)
    assert status == 200, body
    assert set(json.loads(body)) >= {"access_token", "refresh_token", "token_type"}
    assert headers["cache-control"] == ["no-store"] and headers["access-control-allow-origin"] == [PARTNER_ORIGIN]
    assert "x-request-id" in headers and "x-content-type-options" in headers
    # No page middleware ran: no language negotiation (Vary: Accept-Language), no cookie.
    assert "accept-language" not in ",".join(headers.get("vary", [])).lower() and "set-cookie" not in headers

    # The same checks as ever: a replay ends the session, a wrong secret is invalid_client.
    replay_status, replay_headers, replay = call(
        "/oauth/token/", "POST", form, Authorization=basic(), Accept="text/html"
    )
    assert replay_status == 400 and json.loads(replay)["error"] == "invalid_grant"
    assert replay_headers["content-type"] == ["application/json"]  # whatever the client accepts
    wrong_status, wrong_headers, wrong = call("/oauth/token/", "POST", form, Authorization=basic(secret="wrong"))
    assert wrong_status == 401 and json.loads(wrong)["error"] == "invalid_client"
    assert wrong_headers["www-authenticate"][0].startswith("Basic")


def test_revocation_and_introspection_go_the_same_way_and_pages_keep_the_full_stack(site):
    status, headers, body = call("/oauth/introspect/", "POST", {"token": "garbage"}, Authorization=basic())
    assert status == 200 and json.loads(body) == {"active": False}
    assert "accept-language" not in ",".join(headers.get("vary", [])).lower()
    status, headers, _ = call("/oauth/revoke/", "POST", {"token": "garbage"}, Authorization=basic())
    assert status == 200

    # A page, and a path that merely starts like a client endpoint, get every middleware.
    status, headers, body = call("/login/")
    assert status == 200 and "accept-language" in ",".join(headers["vary"]).lower()
    assert any(cookie.strip().startswith(settings.CSRF_COOKIE_NAME + "=") for cookie in headers["set-cookie"])
    status, headers, _ = call("/oauth/token")  # no slash: CommonMiddleware's redirect, as before
    assert status == 301 and headers["location"] == ["/oauth/token/"]


def test_the_client_endpoints_are_counted_in_the_metrics(site):
    def refused() -> float:
        return metric_value(
            Client().get("/metrics").content.decode(), "sso_http_requests_total", endpoint="oauth:token"
        )

    before = refused()
    status, _, _ = call(
        "/oauth/token/", "POST", {"grant_type": "refresh_token", "refresh_token": "x"}, Authorization=basic()
    )
    assert status == 400 and refused() - before == 1


def test_a_nul_character_is_refused_on_either_handler(site):
    # The client endpoints' own middleware keeps the NUL guard, for the form and the query.
    form = {"grant_type": "refresh_token", "refresh_token": "a\x00b"}
    for path, body in (
        ("/oauth/token/", form),
        ("/oauth/revoke/", {"token": "\x00"}),
        ("/oauth/introspect/", {"t\x00": "x"}),
    ):
        status, headers, answer = call(path, "POST", body, Authorization=basic())
        assert status == 400 and json.loads(answer) == {
            "error": "invalid_request",
            "error_description": "Parameters must not contain NUL characters.",
        }, (path, answer)
    status, _, answer = call("/oauth/token/?x=%00", "POST", {"grant_type": "refresh_token"}, Authorization=basic())
    assert status == 400 and json.loads(answer)["error_description"] == "Parameters must not contain NUL characters."

    # A page's form and query: the same guard, answering with the readable page.
    status, headers, answer = call("/login/", "POST", {"email": "a\x00@example.com", "password": "x"})
    assert status == 400 and b"not allowed" in answer and headers["content-type"][0].startswith("text/html")
    status, _, answer = call("/login/?next=%00")
    assert status == 400 and b"not allowed" in answer
