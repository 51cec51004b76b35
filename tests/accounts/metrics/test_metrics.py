"""/metrics: Prometheus text for the operator's network or bearer secret only; counts that
follow what happened; state read from the database; nothing personal in any label."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import OutboxMessage
from accounts.oauth.keyring import signing_keyring
from tests.support.metrics import metric_value as sample
from tests.support.oauth import Pkce, exchange_code, obtain_code, token_request

pytestmark = pytest.mark.django_db
REFRESH = "refresh_token"
FORM = "application/x-www-form-urlencoded"


def scrape(client: Client | None = None, **headers) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")  # Prometheus's text format
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def test_only_the_allowed_networks_or_the_bearer_secret_may_scrape(settings):
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    refused = Client().get("/metrics", **outsider)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert b"sso_" not in refused.content
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything", **outsider).status_code == 403  # none set

    settings.METRICS_BEARER_TOKEN = "scrape-secret-0123456789"
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", **outsider).status_code == 200
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-01234567", **outsider).status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Basic c2NyYXBl", **outsider).status_code == 403

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]
    assert Client().get("/metrics", **outsider).status_code == 200
    assert Client().get("/metrics").status_code == 403  # loopback is no longer on the list
    assert Client().post("/metrics", **outsider).status_code == 405


def test_grants_are_counted_by_type_and_outcome(site, browser):
    before = scrape()
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    assert token_request(Client(), {"grant_type": REFRESH, "refresh_token": tokens["refresh_token"]}).status_code == 200
    assert token_request(Client(), {"grant_type": REFRESH, "refresh_token": "forged"}).status_code == 400
    assert token_request(Client(), {"grant_type": REFRESH, "refresh_token": "x"}, secret="wrong").status_code == 401
    assert token_request(Client(), {"grant_type": "urn:example:ada@example.org"}).status_code == 400
    repeated = Client().post(reverse("oauth:token"), "grant_type=a&grant_type=b", content_type=FORM)
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"  # a body that did not parse
    after = scrape()

    def grew(**labels) -> float:
        return sample(after, "sso_token_grants_total", **labels) - sample(before, "sso_token_grants_total", **labels)

    assert grew(grant_type="authorization_code", outcome="issued") == 1
    assert grew(grant_type=REFRESH, outcome="issued") == 1
    assert grew(grant_type=REFRESH, outcome="invalid_grant") == 1
    assert grew(grant_type=REFRESH, outcome="invalid_client") == 1
    assert grew(grant_type="other", outcome="unsupported_grant_type") == 1  # what a client typed is no label
    assert grew(grant_type="other", outcome="invalid_request") == 1
    assert "ada@example.org" not in after


def test_requests_are_counted_and_timed_by_pattern_name_never_by_path(user):
    before = scrape()
    Client().get(reverse("accounts:login") + "?next=/account/ada@example.org")
    Client().get("/no-such-page/ada@example.org/")
    after = scrape()
    labels = {"endpoint": "accounts:login", "method": "GET", "status": "200"}
    assert sample(after, "sso_http_requests_total", **labels) - sample(before, "sso_http_requests_total", **labels) == 1
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert (
        sample(after, "sso_http_requests_total", **unmatched) - sample(before, "sso_http_requests_total", **unmatched)
        == 1
    )
    timed = sample(after, "sso_http_request_duration_seconds_count", endpoint="accounts:login")
    assert timed - sample(before, "sso_http_request_duration_seconds_count", endpoint="accounts:login") == 1
    assert "ada@example.org" not in after and "no-such-page" not in after


def test_sign_ins_failures_and_lockouts_are_counted(user, password, settings):
    before = scrape()
    login = reverse("accounts:login")
    assert Client().post(login, {"email": user.email, "password": password}).status_code == 302
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        attacker.post(login, {"email": user.email, "password": "wrong guess"})
    after = scrape()
    assert (
        sample(after, "sso_sign_ins_total", outcome="success") - sample(before, "sso_sign_ins_total", outcome="success")
        == 1
    )
    failures = sample(after, "sso_sign_ins_total", outcome="failure") - sample(
        before, "sso_sign_ins_total", outcome="failure"
    )
    assert failures == settings.LOGIN_FAILURE_LIMIT + 1
    assert sample(after, "sso_lockouts_total") - sample(before, "sso_lockouts_total") >= 1
    assert user.email not in after and "198.51.100" not in after


def test_undelivered_messages_and_key_ages_are_read_from_the_database(site):
    Status = OutboxMessage.Status
    for number, status in enumerate((Status.PENDING, Status.PENDING, Status.FAILED, Status.DELIVERED)):
        OutboxMessage.objects.create(site=site, sid=f"sid-{number}", sub="u", status=status)
    text = scrape()
    assert sample(text, "sso_outbox_messages", kind="logout", status="pending") == 2
    assert sample(text, "sso_outbox_messages", kind="logout", status="failed") == 1
    assert sample(text, "sso_outbox_messages", kind="account-purged", status="pending") == 0
    current = signing_keyring().current
    age = sample(text, "sso_signing_key_age_seconds", kid=current.kid, algorithm=current.algorithm, state="current")
    assert age > 0
    assert sample(text, "sso_state_readable") == 1
