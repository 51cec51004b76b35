"""Password login on the IdP: blind-index look-up, SSO session, lockout, no enumeration."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.forms import INVALID_LOGIN as _INVALID_LOGIN

INVALID_LOGIN = str(_INVALID_LOGIN)  # in English, the test client's language
from accounts.models import AuditEvent, SSOSession, User
from accounts.session_engines import stored_key

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def post_login(client, email, password, **extra):
    return client.post(LOGIN, {"email": email, "password": password}, **extra)


def test_login_with_email_in_other_case_and_spaces(client, user, password):
    response = post_login(client, "  ADA@Example.ORG ", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    assert client.get(reverse("accounts:account")).status_code == 200


def test_login_starts_an_sso_session_bound_to_the_browser(client, user, password):
    post_login(client, user.email, password, REMOTE_ADDR="203.0.113.77")
    sso_session = SSOSession.objects.get(user=user)
    assert client.session["sso_sid"] == sso_session.sid
    assert sso_session.ended_at is None
    assert sso_session.network_id == "203.0.113.0/24"  # reduced, never the full address
    event = AuditEvent.objects.get(event_type=AuditEvent.EventType.LOGIN_SUCCESS)
    assert (event.user_id, event.sid, event.network_id) == (user.pk, sso_session.sid, "203.0.113.0/24")


def test_session_id_is_rotated_at_login(client, user, password):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    post_login(client, user.email, password)
    assert client.session.session_key != before


def test_login_moves_the_session_to_a_new_key_and_the_old_key_is_dead(client, user, password):
    session = client.session
    session["hint"] = "kept across the login"
    session.save()
    before = session.session_key
    post_login(client, user.email, password)
    after = client.session
    assert after.session_key != before and after["hint"] == "kept across the login"
    assert not Session.objects.filter(session_key=stored_key(before)).exists()
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(before)  # nor in the cache
    fixed = Client()
    fixed.cookies[settings.SESSION_COOKIE_NAME] = before  # what a fixation attacker holds
    assert fixed.get(reverse("accounts:account")).status_code == 302  # sent to the login page


def _login_writes(queries) -> list[str]:
    """Statements writing last_login, an SSO session or an audit event."""
    return [
        q["sql"]
        for q in queries
        if ("last_login" in q["sql"] and "UPDATE" in q["sql"])
        or (("accounts_ssosession" in q["sql"] or "accounts_auditevent" in q["sql"]) and "INSERT" in q["sql"])
    ]


def test_a_login_writes_its_sso_session_and_audit_event_at_one_instant(client, user, password):
    assert post_login(client, user.email, password).status_code == 302
    session = SSOSession.objects.get(user=user)
    event = AuditEvent.objects.get(event_type=AuditEvent.EventType.LOGIN_SUCCESS, user=user)
    assert session.started_at == session.auth_time == session.last_used_at == event.occurred_at
    assert event.sid == session.sid and client.session["sso_sid"] == session.sid and session.auth_methods == "pwd"
    assert User.objects.get(pk=user.pk).last_login == session.started_at  # written with it, once


@pytest.mark.postgres
def test_on_postgresql_a_login_writes_them_in_one_statement(client, user, password):
    with CaptureQueriesContext(connection) as queries:
        assert post_login(client, user.email, password).status_code == 302
    assert len(_login_writes(queries)) == 1, _login_writes(queries)


@pytest.mark.django_db(transaction=True)
def test_a_login_whose_session_cannot_be_stored_writes_nothing(user, monkeypatch):
    from django.db import IntegrityError
    from django.test import RequestFactory

    from accounts.sessions import start_sso_session

    taken = SSOSession.objects.create(user=user).sid
    monkeypatch.setattr(SSOSession._meta.get_field("sid"), "_get_default", lambda: taken)  # a colliding sid
    request = RequestFactory().post(LOGIN)
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    with pytest.raises(IntegrityError):
        start_sso_session(request, user, ["pwd"])
    assert "sso_sid" not in request.session
    assert not AuditEvent.objects.filter(event_type=AuditEvent.EventType.LOGIN_SUCCESS).exists()
    assert SSOSession.objects.filter(user=user).count() == 1


def test_signing_in_again_in_a_live_session_renews_auth_time_and_last_login(client, user, password):
    assert post_login(client, user.email, password).status_code == 302
    first = SSOSession.objects.get(user=user)
    assert post_login(client, user.email, password).status_code == 302
    renewed = SSOSession.objects.get(user=user)  # the same session, not a second one
    assert renewed.pk == first.pk and renewed.auth_time > first.auth_time
    assert User.objects.get(pk=user.pk).last_login == renewed.auth_time
    assert AuditEvent.objects.filter(event_type=AuditEvent.EventType.LOGIN_SUCCESS, sid=first.sid).count() == 2


def test_unknown_email_and_wrong_password_answer_alike(client, user):
    unknown = post_login(client, "nobody@example.org", "whatever-password")
    wrong = post_login(client, user.email, "wrong password here")
    assert unknown.status_code == wrong.status_code == 400
    assert INVALID_LOGIN in unknown.content.decode()
    assert INVALID_LOGIN in wrong.content.decode()
    # Same page apart from the CSRF token and the echoed email.
    strip = lambda r, email: r.content.decode().replace(email, "").split("csrfmiddlewaretoken")[0]
    assert strip(unknown, "nobody@example.org") == strip(wrong, user.email)
    failures = AuditEvent.objects.filter(event_type=AuditEvent.EventType.LOGIN_FAILURE)
    assert failures.count() == 2
    assert {e.user_id for e in failures} == {None, user.pk}


def test_lockout_after_repeated_failures_refuses_even_the_right_password(client, user, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, user.email, "wrong password here").status_code == 400
    locked = post_login(client, user.email, "wrong password here")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    still_locked = post_login(client, user.email, password)
    assert still_locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event_type=AuditEvent.EventType.ACCOUNT_LOCKED, user=user).exists()


def test_one_account_from_many_networks_is_slowed_more_at_every_failure(client, user, password, settings):
    from accounts.lockout import account_delay_seconds

    for i in range(settings.LOGIN_FAILURE_LIMIT):  # never twice from one network: no pair is locked
        assert post_login(client, user.email, "wrong password here", REMOTE_ADDR=f"198.51.{i}.9").status_code == 400
    slowed = post_login(client, user.email, password, REMOTE_ADDR="192.0.2.1")
    assert slowed.status_code == 429 and "Please wait" in slowed.content.decode()
    assert int(slowed["Retry-After"]) == account_delay_seconds(settings.LOGIN_FAILURE_LIMIT) == 1
    assert "_auth_user_id" not in client.session
    # Each further failure doubles the wait: guessing from ever more networks stays slow.
    assert [account_delay_seconds(settings.LOGIN_FAILURE_LIMIT + n) for n in range(4)] == [1, 2, 4, 8]
    assert account_delay_seconds(10_000) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_owner_gets_in_once_the_short_wait_is_over(client, user, password, settings):
    import time

    for i in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(client, user.email, "wrong password here", REMOTE_ADDR=f"198.51.{i}.9")
    time.sleep(1.2)  # past the one-second wait
    assert post_login(client, user.email, password, REMOTE_ADDR="192.0.2.1").status_code == 302


def test_many_accounts_from_one_network_are_throttled_at_the_network_limit(client, make_user, password, settings):
    settings.LOGIN_NETWORK_FAILURE_LIMIT = 12
    for i in range(settings.LOGIN_NETWORK_FAILURE_LIMIT):  # a few guesses each, across many accounts
        answer = post_login(client, f"guess{i // 3}@example.org", "wrong password here", REMOTE_ADDR="198.51.100.7")
        assert answer.status_code == (400 if i < settings.LOGIN_NETWORK_FAILURE_LIMIT - 1 else 429)
    victim = make_user("victim@example.org")
    throttled = post_login(client, victim.email, password, REMOTE_ADDR="198.51.100.7")
    assert throttled.status_code == 429 and "from your network" in throttled.content.decode()
    assert post_login(client, victim.email, password, REMOTE_ADDR="192.0.2.1").status_code == 302


def test_failures_against_one_account_do_not_lock_a_bystander_on_the_same_network(
    client, make_user, password, settings
):
    """Behind a carrier-grade NAT one person's guessing must not lock out everyone else."""
    target, bystander = make_user("target@example.org"), make_user("bystander@example.org")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(client, target.email, "wrong password here", REMOTE_ADDR="198.51.100.7")
    assert post_login(client, target.email, password, REMOTE_ADDR="198.51.100.7").status_code == 429  # the pair
    other = Client()
    assert post_login(other, bystander.email, password, REMOTE_ADDR="198.51.100.8").status_code == 302
    assert not AuditEvent.objects.filter(event_type=AuditEvent.EventType.ACCOUNT_LOCKED, user=bystander).exists()


def test_a_success_on_the_attackers_own_account_does_not_clear_the_network_counter(
    client, make_user, password, settings
):
    settings.LOGIN_NETWORK_FAILURE_LIMIT = 8
    own = make_user("attacker@example.org")
    for round_ in range(3):  # guess, then sign in to one's own account to wipe the slate, again and again
        for i in range(3):
            post_login(Client(), f"victim{round_}{i}@example.org", "wrong password here", REMOTE_ADDR="198.51.100.7")
        assert post_login(Client(), own.email, password, REMOTE_ADDR="198.51.100.7").status_code in (302, 429)
    assert post_login(client, "victim9@example.org", "wrong password", REMOTE_ADDR="198.51.100.7").status_code == 429


def test_a_successful_login_clears_only_its_own_pair(client, user, password, settings):
    from axes.helpers import get_cache

    from accounts.lockout import _key
    from accounts.pii.blind_index import email_index

    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert post_login(client, user.email, "wrong password here").status_code == 400
    assert post_login(client, user.email, password).status_code == 302
    account, network = email_index(user.email), "127.0.0.0/24"
    counted = get_cache().get_many([_key("pair", account, network), _key("account", account), _key("network", network)])
    assert counted == {_key("account", account): 4, _key("network", network): 4}  # the pair's alone is gone
    client.logout()
    assert post_login(client, user.email, "wrong password here").status_code == 400  # not locked: counted afresh


def _counted_cache_calls(monkeypatch) -> list[str]:
    """The lock-out counters' cache operations (the browser session may share the cache)."""
    from axes.helpers import get_cache

    cache, calls = get_cache(), []

    def counting(operation, original):
        def call(*args, **kwargs):
            if "session_engines" not in str(args[:1]):
                calls.append(operation)
            return original(*args, **kwargs)

        return call

    for operation in ("get", "get_many", "delete", "delete_many"):
        monkeypatch.setattr(cache, operation, counting(operation, getattr(cache, operation)))
    return calls


def test_a_login_with_no_failures_counted_reads_its_counters_once_and_clears_nothing(
    client, user, password, monkeypatch
):
    calls = _counted_cache_calls(monkeypatch)
    assert post_login(client, user.email, password).status_code == 302
    assert calls == ["get_many"]


def test_a_login_after_failures_clears_the_counters_in_one_round_trip(client, user, password, monkeypatch):
    assert post_login(client, user.email, "wrong password here").status_code == 400
    calls = _counted_cache_calls(monkeypatch)
    assert post_login(client, user.email, password).status_code == 302
    assert calls == ["get_many", "delete"]


def test_new_passwords_use_argon2id_at_owasp_minimum(user):
    algorithm, variant, version, params, *_ = user.password.split("$")
    assert (algorithm, variant) == ("argon2", "argon2id")
    assert params == "m=19456,t=2,p=1"


def test_older_hash_is_upgraded_at_login(client, user, password):
    User.objects.filter(pk=user.pk).update(password=make_password(password, hasher="pbkdf2_sha256"))
    assert post_login(client, user.email, password).status_code == 302
    assert User.objects.get(pk=user.pk).password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_inactive_account_cannot_sign_in(client, make_user, password):
    inactive = make_user("gone@example.org", is_active=False)
    response = post_login(client, inactive.email, password)
    assert response.status_code == 400
    assert INVALID_LOGIN in response.content.decode()


def test_next_parameter_only_allows_same_site_paths(client, user, password):
    response = client.post(LOGIN, {"email": user.email, "password": password, "next": "https://evil.example/x"})
    assert response["Location"] == reverse("accounts:account")
    client.logout()
    response = client.post(LOGIN, {"email": user.email, "password": password, "next": "/account/password/"})
    assert response["Location"] == "/account/password/"
