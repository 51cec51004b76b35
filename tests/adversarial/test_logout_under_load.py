"""A partner site down while many users sign out at once, with refresh traffic
going on: every logout succeeds, every delivery is queued, nothing else slows
to an error, and once the site is back each session is told exactly once,
even with two delivery workers running side by side."""

from __future__ import annotations

import threading
from collections import Counter

import jwt
import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxMessage, SSOSession
from accounts.oauth.sector_sid import internal_sid
from accounts.outbox import deliver_due
from tests.accounts.oauth.test_logout import partner, sign_in_to
from tests.adversarial.test_races import in_parallel
from tests.support.http_peer import LogoutReceiver, free_port
from tests.support.oauth import signed_in, token_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SIGNING_OUT, REFRESHING = 24, 4


def signed_in_browsers(make_user, site, count: int, prefix: str) -> list[tuple[Client, dict]]:
    browsers = []
    for index in range(count):
        browser = signed_in(Client(), make_user(f"{prefix}{index}@example.org"))
        browsers.append((browser, sign_in_to(site, browser)))
    return browsers


def test_logouts_while_a_partner_is_down_are_all_delivered_once_it_returns(make_user):
    receiver = LogoutReceiver(free_port())  # registered, but not listening: connections are refused
    shop = partner("shop", receiver.uri)
    leaving = signed_in_browsers(make_user, shop, SIGNING_OUT, "leaving")
    staying = signed_in_browsers(make_user, shop, REFRESHING, "staying")
    seen_by_shop = {jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"] for _, tokens in leaving}
    leaving_sids = {internal_sid(sid, shop) for sid in seen_by_shop}

    refresh_outcomes: list[int] = []
    stop = threading.Event()

    def keep_refreshing(tokens: dict) -> None:
        try:
            while not stop.is_set():
                response = token_request(
                    Client(),
                    {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    client_id="shop",
                )
                refresh_outcomes.append(response.status_code)
                if response.status_code == 200:
                    tokens = response.json()
        finally:
            connections.close_all()

    refreshers = [threading.Thread(target=keep_refreshing, args=(tokens,)) for _, tokens in staying]
    for thread in refreshers:
        thread.start()
    try:
        logouts = in_parallel(lambda i: leaving[i][0].post(reverse("accounts:logout")).status_code, SIGNING_OUT)
    finally:
        stop.set()
        for thread in refreshers:
            thread.join(timeout=60)

    assert logouts == [200] * SIGNING_OUT  # the "signed out" page
    assert refresh_outcomes and set(refresh_outcomes) == {200}  # the others were not disturbed
    assert not SSOSession.objects.active().filter(sid__in=leaving_sids).exists()
    deliveries = OutboxMessage.objects.all()
    assert Counter((d.sid, d.status, d.attempts) for d in deliveries) == {
        (sid, "pending", 1): 1 for sid in leaving_sids
    }

    receiver.start()
    try:
        OutboxMessage.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
        workers = in_parallel(lambda i: deliver_due(), 2)  # two workers, side by side
        assert sum(delivered for delivered, _ in workers) == SIGNING_OUT
        told = Counter(jwt.decode(raw, options={"verify_signature": False})["sid"] for raw in receiver.tokens)
        assert told == {sid: 1 for sid in seen_by_shop}  # each session exactly once, none of the others
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    finally:
        receiver.stop()
