"""Faults: the database becoming unreachable mid-service, and coming back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.http_peer import free_port
from tests.oauth_helpers import Pkce, exchange_code, obtain_code, token_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Outage:
    """Points the connection at a closed port (a real refused connection) until ended."""

    def __init__(self):
        self.original = dict(connection.settings_dict)

    def begin(self) -> None:
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))

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
    page = Client().get(reverse("accounts:login"))
    assert page.status_code == 503 and "Temporarily unavailable" in page.content.decode()

    outage.end()
    assert OutstandingToken.objects.count() == outstanding_before  # nothing half-written
    assert not BlacklistedToken.objects.exists()
    back = token_request(Client(), refresh)  # the same refresh token still works: nothing was consumed
    assert back.status_code == 200


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
def test_redis_down_falls_back_to_the_database_and_nothing_revoked_revives(site, user, password, redis_outage,
                                                                          settings):
    from tests.oauth_helpers import form_post

    assert settings.CACHES["default"]["BACKEND"] == "accounts.cache.FailoverRedisCache"
    browser = Client()
    browser.post(reverse("accounts:login"), {"email": user.email, "password": password})
    revoked, live = (exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
                     for pkce in (Pkce.new(), Pkce.new()))
    form_post(Client(), reverse("oauth:revoke"), {"client_id": "marketplace", "token": revoked["access_token"],
                                                  "client_secret": "marketplace-secret-for-tests-0123456789abcdef"})

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
