"""The second step after the password: a code from the app, once, with one step of drift;
a recovery code, once; wrong codes counted like wrong passwords."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, RecoveryCode, SSOSession
from tests.accounts.factors.conftest import code_now, sign_in_with_password

pytestmark = pytest.mark.django_db
STEP = reverse("accounts:second_factor")
ACCOUNT = reverse("accounts:account")


def test_a_password_alone_does_not_sign_in_an_account_with_an_app(app_user, password, clock):
    client = Client()
    first = sign_in_with_password(client, app_user, password)
    assert first.status_code == 302 and first["Location"] == STEP
    assert client.get(ACCOUNT).status_code == 302  # not signed in yet
    assert not SSOSession.objects.filter(user=app_user).exists()

    done = client.post(STEP, {"code": code_now(app_user, clock)})
    assert done.status_code == 302 and done["Location"] == ACCOUNT
    session = SSOSession.objects.get(user=app_user)
    assert session.auth_methods.split() == ["pwd", "otp", "mfa"]
    assert client.get(ACCOUNT).status_code == 200


def test_a_code_is_accepted_once_and_with_one_step_of_drift(app_user, password, clock):
    code = code_now(app_user, clock)
    first = Client()
    sign_in_with_password(first, app_user, password)
    assert first.post(STEP, {"code": code}).status_code == 302
    replay = Client()
    sign_in_with_password(replay, app_user, password)
    refused = replay.post(STEP, {"code": code})
    assert refused.status_code == 400 and "already used" in refused.content.decode()

    clock.advance(60)
    late = code_now(app_user, clock)
    clock.advance(30)  # the server's clock one step ahead of the phone's: accepted
    assert replay.post(STEP, {"code": late}).status_code == 302
    clock.advance(90)
    stale = code_now(app_user, clock)
    clock.advance(60)  # two steps: refused
    other = Client()
    sign_in_with_password(other, app_user, password)
    assert other.post(STEP, {"code": stale}).status_code == 400


def test_a_recovery_code_works_once_is_audited_and_mailed(app_user, password, mailbox):
    client = Client()
    sign_in_with_password(client, app_user, password)
    code = app_user.codes[0].upper()  # as typed from paper
    assert client.post(STEP, {"code": code}).status_code == 302
    assert AuditEvent.objects.filter(event_type="recovery_code_used", user=app_user).count() == 1
    assert RecoveryCode.objects.filter(user=app_user, used_at__isnull=True).count() == 9
    assert "recovery code" in mailbox.wait_for(app_user.email).text
    again = Client()
    sign_in_with_password(again, app_user, password)
    assert again.post(STEP, {"code": code}).status_code == 400


def test_wrong_codes_count_towards_the_lockout_of_the_account_and_network(app_user, password, clock, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    sign_in_with_password(client, app_user, password)
    answers = [client.post(STEP, {"code": "000000"}).status_code for _ in range(4)]
    assert answers[:2] == [400, 400] and answers[2:] == [429, 429]
    assert client.post(STEP, {"code": code_now(app_user, clock)}).status_code == 429  # locked: not even the right one
    assert AuditEvent.objects.filter(event_type="second_factor_failure", user=app_user).count() == 3


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "x" * 10_000, "12\x0034"])
def test_malformed_codes_are_a_readable_error(app_user, password, code):
    client = Client()
    sign_in_with_password(client, app_user, password)
    response = client.post(STEP, {"code": code})
    assert response.status_code == 400 and "Traceback" not in response.content.decode()
    assert not SSOSession.objects.filter(user=app_user).exists()


def test_the_step_without_a_password_first_sends_back_to_sign_in(client):
    response = client.post(STEP, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")


def test_the_secret_is_ciphertext_at_rest_and_codes_are_keyed_hashes(app_user):
    call_command("audit_pii")  # the TOTP secret is a registered PII column
    hashes = list(RecoveryCode.objects.filter(user=app_user).values_list("code_hash", flat=True))
    import hashlib

    plain = {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in app_user.codes}
    assert len(hashes) == 10 and not plain & set(hashes)


def test_switching_to_an_account_with_an_app_from_another_signed_in_account(app_user, make_user, password, clock):
    from tests.support.oauth import signed_in

    other = make_user("other@example.org")
    client = signed_in(Client(), other)
    switched = client.post(reverse("accounts:login") + "?switch=1", {"email": app_user.email, "password": password})
    assert switched["Location"] == STEP
    assert client.post(STEP, {"code": code_now(app_user, clock)}).status_code == 302
    assert SSOSession.objects.filter(user=other, ended_at__isnull=True).count() == 0  # signed out first
    assert SSOSession.objects.filter(user=app_user, ended_at__isnull=True).count() == 1
