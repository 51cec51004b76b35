"""Races on PostgreSQL: many requests at once for one credential get exactly one outcome."""

from __future__ import annotations

import threading
import time
from collections import Counter

import jwt
import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import AuditEvent, AuthorizationCode, RefreshTokenRecord, SSOSession, User
from tests.support.exchange import exchange, native_app, native_sso_params
from tests.support.oauth import REGISTRATION, Pkce, exchange_code, obtain_code, token_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PARALLEL = 20


def in_parallel(action, count: int = PARALLEL) -> list:
    results, barrier, lock = [], threading.Barrier(count), threading.Lock()

    def run(index: int):
        try:
            barrier.wait(timeout=20)
            outcome = action(index)
        except Exception as error:  # noqa: BLE001 - a crash is an outcome the test must see
            outcome = ("crash", repr(error))
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count, "a thread did not finish"
    return results


def outcome(response) -> tuple:
    return response.status_code, response.json().get("error")


def test_parallel_refreshes_of_one_token_give_one_success_and_end_the_session_once(write_path, site, browser, user):
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    results = in_parallel(
        lambda i: outcome(
            token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        )
    )
    assert Counter(results) == {(200, None): 1, (400, "invalid_grant"): PARALLEL - 1}
    session = SSOSession.objects.get(user=user)
    assert session.end_reason == "refresh_token_reuse"
    assert AuditEvent.objects.filter(event_type="session_ended", sid=session.sid).count() == 1


def test_parallel_uses_of_one_code_give_one_success(write_path, site, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    results = in_parallel(lambda i: outcome(exchange_code(Client(), site, code, pkce)))
    assert Counter(results) == {(200, None): 1, (400, "invalid_grant"): PARALLEL - 1}
    assert OutstandingToken.objects.count() == 1  # one redemption issued; the reuses issued nothing


def test_parallel_native_sso_exchanges_leave_no_duplicate_or_orphan_tokens(write_path, first_app_tokens, user):
    native_app("acme-calendar")
    results = in_parallel(lambda i: outcome(exchange("acme-calendar", **native_sso_params(first_app_tokens))))
    assert Counter(results) == {(200, None): PARALLEL}
    outstanding = OutstandingToken.objects.all()
    assert outstanding.count() == PARALLEL + 1  # one per exchange, plus app 1's own
    assert len(set(outstanding.values_list("jti", flat=True))) == outstanding.count()
    assert RefreshTokenRecord.objects.filter(outstanding__in=outstanding).count() == outstanding.count()
    assert set(RefreshTokenRecord.objects.values_list("sso_session__user", flat=True)) == {user.pk}


def test_parallel_registrations_of_one_email_in_different_cases_create_one_account(db, mailbox, settings):
    settings.MAIL_PER_ACCOUNT_PER_HOUR = PARALLEL  # the race, not the mail allowance of the address

    def register(i: int):
        email = "".join(ch.upper() if (i >> n) & 1 else ch for n, ch in enumerate("race@example.org"))
        response = Client().post(
            reverse("accounts:register"),
            {**REGISTRATION, "email": f" {email} "},
        )
        return response.status_code

    results = in_parallel(register)
    assert Counter(results) == {200: PARALLEL}  # "check your inbox", alike
    assert User.objects.count() == 1
    kinds = Counter("already has one" in m.text for m in mailbox.messages)
    assert kinds == {False: 1, True: PARALLEL - 1}  # one verification link; the owner told of the rest


def test_parallel_uses_of_one_reset_link_give_one_success(user, password, mailbox):
    assert Client().post(reverse("accounts:password_reset"), {"email": user.email}).status_code == 200
    link = mailbox.wait_for(user.email).link("/link/reset/")

    def use(i: int) -> int:
        chosen = f"parallel passphrase number {i}"
        return Client().post(link, {"new_password1": chosen, "new_password2": chosen}).status_code

    results = in_parallel(use)
    assert Counter(results) == {302: 1, 400: PARALLEL - 1}
    user.refresh_from_db()
    assert sum(user.check_password(f"parallel passphrase number {i}") for i in range(PARALLEL)) == 1
    assert AuditEvent.objects.filter(event_type="password_reset").count() == 1


def test_parallel_uses_of_one_verification_link_verify_once(mailbox):
    Client().post(reverse("accounts:register"), {**REGISTRATION, "email": "verify.race@example.org"})
    link = mailbox.wait_for("verify.race@example.org").link("/link/verify/")
    results = in_parallel(lambda i: Client().post(link).status_code)
    assert Counter(results) == {200: 1, 400: PARALLEL - 1}
    assert AuditEvent.objects.filter(event_type="email_verified").count() == 1


def while_another_transaction_changes(model, pk: int, assignment: str, request):
    """Hold row ``pk`` of ``model`` locked from a second connection, send ``request()``
    from a thread, wait until it blocks on that lock, then ``SET assignment`` and
    commit: deterministically, the request loses the race. Returns its response."""
    table, responses = model._meta.db_table, []
    params = connection.get_connection_params()
    # pg_stat_activity is read once per transaction: watch it from an autocommit connection.
    with psycopg.connect(**params) as other, psycopg.connect(**params, autocommit=True) as watcher:
        other.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])
        waiting = threading.Thread(target=lambda: responses.append(request()))
        waiting.start()
        deadline = time.monotonic() + 20
        while not watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the request never waited on the row lock"
            time.sleep(0.02)
        other.execute(f"UPDATE {table} SET {assignment} WHERE id = %s", [pk])
        other.commit()
        waiting.join(timeout=30)
    connections.close_all()
    return responses[0]


def test_a_refresh_that_waited_on_a_concurrent_rotation_is_treated_as_reuse(write_path, site, browser, user):
    """Another transaction rotates the token while our refresh waits for its row:
    the refresh must see the rotation, not win too."""
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    jti = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["jti"]
    record = RefreshTokenRecord.objects.get(outstanding__jti=jti)
    outstanding_before = OutstandingToken.objects.count()
    response = while_another_transaction_changes(
        RefreshTokenRecord,
        record.pk,
        "rotated_at = now()",
        lambda: token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}),
    )
    assert outcome(response) == (400, "invalid_grant")
    assert OutstandingToken.objects.count() == outstanding_before  # no successor was recorded
    assert SSOSession.objects.get(user=user).end_reason == "refresh_token_reuse"


def test_a_code_redemption_that_waited_on_a_concurrent_one_issues_nothing(write_path, site, browser):
    """Another transaction redeems the code while ours waits for its row: ours
    must see the code used and write nothing."""
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    response = while_another_transaction_changes(
        AuthorizationCode,
        AuthorizationCode.objects.get().pk,
        "used_at = now()",
        lambda: exchange_code(Client(), site, code, pkce),
    )
    assert outcome(response) == (400, "invalid_grant")
    assert not OutstandingToken.objects.exists()
    assert AuditEvent.objects.filter(event_type="authorization_code_reuse").count() == 1
