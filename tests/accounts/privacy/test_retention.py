"""``manage.py purge`` on PostgreSQL: thousands of rows of each kind, some stale and some live,
purged in small batches while a signed-in user keeps using their tokens. Every stale row
goes, every live one stays, and the live tokens work throughout and afterwards."""

from __future__ import annotations

import io
import secrets
import threading
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import (
    AuditEvent,
    AuthorizationCode,
    EndedGrant,
    OutboxMessage,
    RevokedAccessToken,
    SSOSession,
)
from accounts.privacy.retention import RULES, purge_rule
from tests.support.oauth import Pkce, exchange_code, obtain_code, signed_in, token_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STALE, LIVE = 1500, 500


def _sessions(user, count, **fields):
    return SSOSession.objects.bulk_create(
        SSOSession(user=user, sid=secrets.token_hex(16), **fields) for _ in range(count)
    )


def seed(user, site) -> dict[str, tuple[set, set]]:
    """Per kind: (stale primary keys, live primary keys)."""
    now = timezone.now()
    long_ago, lately, later = now - timedelta(days=500), now - timedelta(days=1), now + timedelta(days=1)
    kinds = {}

    stale_sessions = _sessions(user, STALE, ended_at=now - timedelta(days=40), end_reason="logout")
    ended_lately = _sessions(user, LIVE, ended_at=lately, end_reason="logout")
    active = _sessions(user, LIVE)
    kinds["sessions"] = ({s.pk for s in stale_sessions}, {s.pk for s in ended_lately + active})

    tokens = OutstandingToken.objects.bulk_create(
        OutstandingToken(jti=secrets.token_hex(16), token="digest", expires_at=lately if i < STALE else later)
        for i in range(STALE + LIVE)
    )
    BlacklistedToken.objects.bulk_create(BlacklistedToken(token=t) for t in tokens[STALE - 100 : STALE + 100])
    kinds["refresh tokens"] = ({t.pk for t in tokens[:STALE]}, {t.pk for t in tokens[STALE:]})

    revoked = RevokedAccessToken.objects.bulk_create(
        RevokedAccessToken(jti=secrets.token_hex(16), expires_at=lately if i < STALE else later)
        for i in range(STALE + LIVE)
    )
    kinds["revocations"] = ({r.pk for r in revoked[:STALE]}, {r.pk for r in revoked[STALE:]})

    def code(expires_at, used_at=None, issued_refresh=None):
        return AuthorizationCode(
            code_hash=secrets.token_hex(32), site=site, user=user, sso_session=active[0], redirect_uri="x",
            scope="openid", code_challenge="c", auth_time=now, expires_at=expires_at, used_at=used_at,
            issued_refresh=issued_refresh,
        )  # fmt: skip

    codes = AuthorizationCode.objects.bulk_create(
        [code(lately) for _ in range(STALE)]  # expired, never used
        + [code(later) for _ in range(LIVE // 2)]  # still valid
        + [code(lately, used_at=lately, issued_refresh=tokens[STALE + i]) for i in range(LIVE // 2)]  # replay revokes
    )
    kinds["codes"] = ({c.pk for c in codes[:STALE]}, {c.pk for c in codes[STALE:]})

    grants = EndedGrant.objects.bulk_create(
        [EndedGrant(sso_session=s, site=site, ended_at=lately, reason="consent_withdrawn") for s in ended_lately]
        + [EndedGrant(sso_session=s, site=site, ended_at=now, reason="consent_withdrawn") for s in active]
    )
    kinds["ended grants"] = ({g.pk for g in grants[:LIVE]}, {g.pk for g in grants[LIVE:]})

    def message(status, at):
        return OutboxMessage(
            site=site, sid=secrets.token_hex(8), sub="s", status=status, created_at=at, next_attempt_at=at
        )

    messages = OutboxMessage.objects.bulk_create(
        [message("delivered" if i % 2 else "failed", now - timedelta(days=10)) for i in range(STALE)]
        + [message("pending", now - timedelta(days=10)) for _ in range(LIVE // 2)]  # still trying
        + [message("delivered", lately) for _ in range(LIVE // 2)]  # kept a while to be looked at
    )
    kinds["outbox"] = ({m.pk for m in messages[:STALE]}, {m.pk for m in messages[STALE:]})

    events = AuditEvent.objects.bulk_create(  # bulk_create: AuditEvent.save refuses no new row, but is slow
        AuditEvent(event_type="login_success", user_id=user.pk, occurred_at=long_ago if i < STALE else lately)
        for i in range(STALE + LIVE)
    )
    kinds["audit"] = ({e.pk for e in events[:STALE]}, {e.pk for e in events[STALE:]})

    browser_sessions = Session.objects.bulk_create(
        Session(session_key=secrets.token_hex(16), session_data="e30:x", expire_date=lately if i < STALE else later)
        for i in range(STALE + LIVE)
    )
    kinds["browser sessions"] = (
        {s.pk for s in browser_sessions[:STALE]},
        {s.pk for s in browser_sessions[STALE:]},
    )
    return kinds


MODELS = {
    "sessions": SSOSession,
    "refresh tokens": OutstandingToken,
    "revocations": RevokedAccessToken,
    "codes": AuthorizationCode,
    "ended grants": EndedGrant,
    "outbox": OutboxMessage,
    "audit": AuditEvent,
    "browser sessions": Session,
}


def test_purge_removes_every_stale_row_and_nothing_live_while_tokens_are_used(user, site):
    browser = signed_in(Client(), user)
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce, scope="openid offline_access"), pkce).json()
    kinds = seed(user, site)
    live_sid = browser.session["sso_sid"]

    output, failures = io.StringIO(), []

    def purge_in_the_background():
        try:
            call_command("purge", "--batch-size", "200", stdout=output)
        except Exception as error:  # noqa: BLE001 - reported to the test below
            failures.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=purge_in_the_background)
    worker.start()
    uses = 0
    while worker.is_alive() or uses < 3:  # the user goes on while the purge runs (bounded by the purge)
        refreshed = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.content
        tokens = refreshed.json()
        userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert userinfo.status_code == 200
        uses += 1
        assert uses < 500
    worker.join()
    assert failures == []

    for kind, (stale, live) in kinds.items():
        remaining = set(MODELS[kind].objects.filter(pk__in=stale | live).values_list("pk", flat=True))
        assert remaining == live, (kind, len(remaining & stale), len(live - remaining))
    assert SSOSession.objects.get(sid=live_sid).ended_at is None
    assert browser.get(reverse("accounts:account")).status_code == 200  # the browser is still signed in

    printed = output.getvalue()
    assert f"ended SSO sessions: accounts_ssosession {STALE}" in printed
    assert f"audit events past retention: accounts_auditevent {STALE}" in printed
    assert "token_blacklist_blacklistedtoken 100" in printed  # the entries of the expired tokens, by cascade

    # The trail says what went, by rule and table, counts only.
    purged = {e.detail["rule"]: e.detail["removed"] for e in AuditEvent.objects.filter(event_type="retention_purged")}
    assert purged["ended SSO sessions"]["accounts_ssosession"] == STALE
    assert purged["audit events past retention"] == {"accounts_auditevent": STALE}
    assert purged["expired refresh-token rows"]["token_blacklist_blacklistedtoken"] == 100
    assert len(purged) == len(kinds)  # one event for each rule that removed something

    again = io.StringIO()
    call_command("purge", stdout=again)
    assert again.getvalue().strip() == "removed 0 rows"  # nothing left to find: resuming is running it again
    assert AuditEvent.objects.filter(event_type="retention_purged").count() == len(kinds)  # and nothing to record


def test_a_purge_stopped_half_way_is_finished_by_the_next_run(user, site):
    now = timezone.now()
    _sessions(user, 30, ended_at=now - timedelta(days=40), end_reason="logout")
    rule = next(rule for rule in RULES if rule.name == "ended SSO sessions")
    calls = []

    class Stop(Exception):
        pass

    original = rule.stale

    def interrupted(moment):
        calls.append(moment)
        if len(calls) == 3:
            raise Stop  # the process dies during its third batch
        return original(moment)

    with pytest.raises(Stop):
        purge_rule(type(rule)(rule.name, interrupted), batch_size=10)
    assert SSOSession.objects.filter(ended_at__lt=now - timedelta(days=30)).count() == 10  # two batches committed
    stopped = AuditEvent.objects.get(event_type="retention_purged")  # what the stopped run did delete
    assert stopped.detail == {"rule": "ended SSO sessions", "removed": {"accounts_ssosession": 20}}
    assert purge_rule(rule, batch_size=10)["accounts_ssosession"] == 10


def test_purge_refuses_a_batch_size_below_one():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("purge", "--batch-size", "0")
