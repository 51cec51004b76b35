"""Faults: the database becoming unreachable mid-service, and coming back."""

from __future__ import annotations

import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import AuditEvent, RefreshTokenRecord, SSOSession
from tests.support.http_peer import free_port
from tests.support.oauth import REDIRECT, SECRET, Pkce, authorize_params, exchange_code, obtain_code, token_request
from tests.support.tcp_proxy import CuttableTcpProxy, HungServer, VanishedHost

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Outage:
    """Points the connection at a closed port (a real refused connection), or at
    the loopback ``port`` given, until ended."""

    def __init__(self):
        self.original = dict(connection.settings_dict)

    def begin(self, port: int | None = None) -> None:
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port or free_port()))

    def end(self) -> None:
        connection.close()
        connection.settings_dict.update(self.original)


@pytest.fixture
def outage():
    fault = Outage()
    yield fault
    fault.end()


def test_database_down_gives_503s_writes_nothing_and_service_recovers(site, browser, outage):
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    outstanding_before = OutstandingToken.objects.count()

    outage.begin()
    down = token_request(Client(), refresh)
    assert down.status_code == 503 and down["Retry-After"]
    assert down.json()["error"] == "temporarily_unavailable" and down["Cache-Control"] == "no-store"
    page = Client().post(reverse("accounts:login"), {"email": "someone@example.com", "password": "x" * 12})
    assert page.status_code == 503 and "Temporarily unavailable" in page.content.decode()

    outage.end()
    assert OutstandingToken.objects.count() == outstanding_before  # nothing half-written
    assert not BlacklistedToken.objects.exists()
    back = token_request(Client(), refresh)  # the same refresh token still works: nothing was consumed
    assert back.status_code == 200


@pytest.mark.parametrize("silent_database", [HungServer, VanishedHost], ids=["hung", "host-gone"])
def test_a_database_that_never_answers_gives_a_503_within_the_connect_timeout(site, browser, outage, silent_database):
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    server = silent_database().start()
    outage.begin(server.port)
    try:
        started = time.monotonic()
        down = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        waited = time.monotonic() - started
    finally:
        server.stop()
    assert down.status_code == 503 and down.json()["error"] == "temporarily_unavailable"
    assert waited < 10, waited  # connect_timeout is 3 s; psycopg's own default is 130 s


class LostDatabase(Outage):
    """The connection goes to PostgreSQL through a relay that the test cuts in
    the middle of a request: the request's earlier queries are answered, then
    the server is gone (live connection reset, reconnects refused)."""

    WRITES = ("WITH", "INSERT", "UPDATE", "DELETE")

    def __init__(self):
        super().__init__()
        self.proxy = CuttableTcpProxy(self.original["HOST"] or "127.0.0.1", int(self.original["PORT"] or 5432)).start()
        self.begin(self.proxy.port)
        self.statements: list[str] = []  # the request's statements, up to the one the cut hit
        self.cut_at: str | None = None

    @contextmanager
    def cut_at_first_write(self):
        def cut_before_writing(execute, sql, params, many, context):
            if self.cut_at is None:
                self.statements.append(sql.lstrip()[:60].upper())
                if self.statements[-1].startswith(self.WRITES):
                    self.cut_at = self.statements[-1]
                    self.proxy.cut()
            return execute(sql, params, many, context)

        with connection.execute_wrapper(cut_before_writing):
            yield
        assert self.cut_at is not None, "the request never wrote: nothing was cut"
        # What a server does at the end of every request (request_finished), which
        # the test client leaves out: the broken connection is closed.
        connection.close_if_unusable_or_obsolete()
        self.proxy.restore()  # the server is back, at the same address

    def end(self) -> None:
        self.proxy.stop()
        super().end()


@pytest.fixture
def lost_database():
    fault = LostDatabase()
    yield fault
    fault.end()


def test_database_lost_during_a_refresh_grant_answers_503_and_consumes_nothing(site, browser, lost_database):
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    records_before = sorted(RefreshTokenRecord.objects.values_list("pk", "rotated_at"))
    outstanding_before = OutstandingToken.objects.count()

    with lost_database.cut_at_first_write():
        down = token_request(Client(), refresh)
    assert down.status_code == 503 and down["Retry-After"] and down["Cache-Control"] == "no-store"
    assert down.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The service is temporarily unavailable; try again shortly.",
    }

    # The server came back: the same connection settings work again, without a restart.
    assert sorted(RefreshTokenRecord.objects.values_list("pk", "rotated_at")) == records_before
    assert OutstandingToken.objects.count() == outstanding_before and not BlacklistedToken.objects.exists()
    back = token_request(Client(), refresh)  # not rotated: the client's retry is not mistaken for reuse
    assert back.status_code == 200 and back.json()["refresh_token"] != tokens["refresh_token"]


def test_database_lost_during_a_password_login_shows_a_page_and_signs_nobody_in(user, password, lost_database):
    sessions_before, events_before = SSOSession.objects.count(), AuditEvent.objects.count()
    last_login_before = type(user).objects.get(pk=user.pk).last_login
    browser = Client()

    with lost_database.cut_at_first_write():  # the account was read and the password checked; then the writes
        down = browser.post(reverse("accounts:login"), {"email": user.email, "password": password})
    assert lost_database.statements[0].startswith("SELECT")
    assert down.status_code == 503 and down["Retry-After"]
    page = down.content.decode()
    assert "Temporarily unavailable" in page and user.email not in page and "Traceback" not in page

    assert SSOSession.objects.count() == sessions_before and AuditEvent.objects.count() == events_before
    assert type(user).objects.get(pk=user.pk).last_login == last_login_before
    assert browser.get(reverse("accounts:account")).status_code == 302  # not signed in
    assert browser.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    assert browser.get(reverse("accounts:account")).status_code == 200


@pytest.fixture
def redis_outage(settings):
    """Call it to move the shared cache's Redis to a closed port: a real refused connection."""
    from axes.handlers.proxy import AxesProxyHandler

    def begin():
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
        AxesProxyHandler.get_implementation(force=True)  # axes memoizes its cache: make it take the new one

    yield begin
    AxesProxyHandler.implementation = None


@pytest.mark.redis
def test_redis_down_falls_back_to_the_database_and_nothing_revoked_revives(
    site, user, password, redis_outage, settings
):
    from tests.support.oauth import form_post

    assert settings.CACHES["default"]["BACKEND"] == "accounts.cache.FailoverRedisCache"
    browser = Client()
    browser.post(reverse("accounts:login"), {"email": user.email, "password": password})
    revoked, live = (
        exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
        for pkce in (Pkce.new(), Pkce.new())
    )
    form_post(
        Client(),
        reverse("oauth:revoke"),
        {"client_id": "marketplace", "token": revoked["access_token"], "client_secret": SECRET},
    )

    redis_outage()  # the revocation above went to Redis; Redis is now gone
    me = lambda t: Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {t['access_token']}")  # noqa: E731
    assert me(revoked).status_code == 401  # still refused: revocations are also in the database
    assert me(live).status_code == 200

    again = Client()
    assert again.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    assert again.get(reverse("accounts:account")).status_code == 200  # sessions work on the fallback
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("accounts:login"), {"email": user.email, "password": "wrong password here"})
    locked = Client().post(reverse("accounts:login"), {"email": user.email, "password": password})
    assert locked.status_code == 429  # rate limits still count, in the database cache


@pytest.mark.redis
@pytest.mark.parametrize("silent_redis", [HungServer, VanishedHost], ids=["hung", "host-gone"])
def test_a_redis_that_never_answers_holds_a_login_for_a_moment_then_the_database_stands_in(
    user, password, settings, silent_redis
):
    from axes.handlers.proxy import AxesProxyHandler

    server = silent_redis().start()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{server.port}/0"}}
    AxesProxyHandler.get_implementation(force=True)
    browser = Client()
    try:
        started = time.monotonic()
        signed_in = browser.post(reverse("accounts:login"), {"email": user.email, "password": password})
        waited = time.monotonic() - started
        account = browser.get(reverse("accounts:account"))
    finally:
        server.stop()
        AxesProxyHandler.implementation = None
    assert signed_in.status_code == 302 and account.status_code == 200  # the session lives in the database cache
    # One Redis timeout (settings: 0.25 s to connect, 0.5 s to answer), then the
    # database cache; without them redis-py waits 5 s, and again at every retry.
    assert waited < 2.5, waited


@pytest.fixture
def redis_through_relay(settings, monkeypatch):
    """The shared cache's Redis behind a relay the test can cut and restore."""
    from axes.handlers.proxy import AxesProxyHandler

    from accounts import cache as failover

    redis = urlsplit(settings.CACHES["default"]["LOCATION"])
    relay = CuttableTcpProxy(redis.hostname, redis.port or 6379).start()
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{relay.port}{redis.path}"}
    }
    AxesProxyHandler.get_implementation(force=True)
    monkeypatch.setattr(failover, "RETRY_REDIS_AFTER_SECONDS", 0.0)  # try Redis at every call: back means back
    yield relay
    relay.stop()
    AxesProxyHandler.implementation = None


@pytest.mark.redis
def test_what_changed_while_redis_was_down_is_not_served_stale_when_it_returns(
    site, user, password, settings, redis_through_relay
):
    from accounts.oauth.registry import active_site
    from accounts.session_engines.cache import SessionStore

    browser = Client()
    assert browser.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert active_site(site.client_id).redirect_uris == [REDIRECT]  # both now cached in Redis

    redis_through_relay.cut()
    moved = "http://127.0.0.1:8001/oidc/new-callback/"
    site.redirect_uris = [moved]
    site.save()  # its cached copies are evicted: from the database cache only, Redis being away
    assert browser.post(reverse("accounts:logout")).status_code == 200

    redis_through_relay.restore()  # Redis is back, still holding what it held before the outage
    assert active_site(site.client_id).redirect_uris == [moved]
    old_uri = Client().get(reverse("oauth:authorize"), authorize_params(site, Pkce.new(), redirect_uri=REDIRECT))
    assert old_uri.status_code == 400 and "code=" not in old_uri.get("Location", "")
    assert not SessionStore().exists(session_key)  # the signed-out session is not revived from Redis
    browser.cookies[settings.SESSION_COOKIE_NAME] = session_key
    assert browser.get(reverse("accounts:account")).status_code == 302  # replaying its cookie signs nobody in


@pytest.mark.redis
def test_the_database_cache_starts_empty_at_each_outage(db, redis_through_relay):
    """What a first outage left in the table (a partner site's registration, say)
    may have changed in Redis since; the next outage must not serve it."""
    from django.core.cache import cache

    redis_through_relay.cut()
    cache.set("sso:probe", "written in the first outage")
    redis_through_relay.restore()
    cache.set("sso:probe", "changed while Redis was back")
    assert cache.get("sso:probe") == "changed while Redis was back"
    redis_through_relay.cut()
    assert cache.get("sso:probe") is None  # a miss, which callers answer from the database
    cache.set("sso:probe", "written in the second outage")
    assert cache.get("sso:probe") == "written in the second outage"


def test_rotate_pii_key_killed_midway_completes_on_rerun_without_losing_a_row(settings):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from accounts.models import User
    from accounts.pii.blind_index import email_index

    old_key, new_key = "old-key-for-the-kill-test-0123456789", "new-key-for-the-kill-test-9876543210"
    settings.PII_KEY, settings.PII_PREVIOUS_KEYS = old_key, []
    users = [User(email=f"killed{i}@example.org", name=f"Name {i}") for i in range(4000)]
    for u in users:
        u.email_index = email_index(u.email)
        u.set_unusable_password()
    User.objects.bulk_create(users, batch_size=1000)
    expected = {str(u.pk): (u.email, u.name) for u in users}

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PII_KEY": new_key,
        "PII_PREVIOUS_KEYS": old_key,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "manage.py", "rotate_pii_key", "--batch-size", "50", "-v2"]
    root = Path(__file__).resolve().parents[2]
    first = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)
    for line in first.stdout:  # kill it once a few batches have committed
        if "rows scanned" in line and int(line.split(":")[1].split()[0]) >= 500:
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL

    settings.PII_KEY, settings.PII_PREVIOUS_KEYS = new_key, [old_key]
    from accounts.pii.audit import CURRENT, PREVIOUS_KEY, audit_pii_columns

    halfway = {}
    for report in audit_pii_columns():
        for verdict, count in report.counts.items():
            halfway[verdict] = halfway.get(verdict, 0) + count
    assert halfway.get(CURRENT, 0) > 0 and halfway.get(PREVIOUS_KEY, 0) > 0  # really interrupted midway

    rerun = subprocess.run(command[:-1], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    settings.PII_KEY, settings.PII_PREVIOUS_KEYS = new_key, []
    found = {str(pk): (email, name) for pk, email, name in User.objects.values_list("pk", "email", "name")}
    assert found == expected  # every row, readable with the new key alone
