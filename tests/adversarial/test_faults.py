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
