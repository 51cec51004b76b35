"""Delete my account: after the password again and a confirmation, everything about the
account goes; the raw tables of PostgreSQL hold none of its personal data afterwards;
the audit trail keeps events under a pseudonym; every site that knew it is told."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.factors import recovery, totp
from accounts.models import (
    AuditEvent,
    Consent,
    EmailChange,
    OutboxMessage,
    PartnerSite,
    Passkey,
    SiteAccount,
    SSOSession,
    TOTPAuthenticator,
    User,
)
from accounts.oauth.claims import subject_for
from accounts.privacy.erasure import ErasureReason, ErasureRefused, erase_account
from tests.support.oauth import (
    Pkce,
    access_token_for,
    another_site,
    exchange_code,
    obtain_code,
    signed_in,
    token_request,
)

pytestmark = pytest.mark.django_db
ERASE = reverse("accounts:erase")


def _raw(model, column: str, where: str, value) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}"::text FROM "{model._meta.db_table}" WHERE "{where}" = %s', [value])
        return [row[0] for row in cursor.fetchall() if row[0]]


def _tables_holding(needle: str) -> set[str]:
    """Every table with a row whose text, all columns together, contains ``needle``."""
    found = set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}" t WHERE strpos(t::text, %s) > 0)', [needle])
            if cursor.fetchone()[0]:
                found.add(table)
    return found


@pytest.fixture
def lived_in(user, password, site, mailbox, settings):
    """``user`` with everything an account gathers: factors, a pending address change,
    consents, sessions at two sites with refresh tokens, an access token."""
    settings.SSO = {**settings.SSO, "ISSUER": "http://testserver"}
    device = totp.pending_authenticator(user)
    TOTPAuthenticator.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")
    recovery.new_recovery_codes(user)
    Passkey.objects.create(user=user, credential_id="cred-of-ada", public_key=b"\x01" * 77, name="Ada's laptop")
    EmailChange.objects.create(user=user, email="ada.new@example.org")
    PartnerSite.objects.filter(pk=site.pk).update(security_event_uri="http://127.0.0.1:9/oidc/security-events/")
    site.refresh_from_db()
    languages = another_site("languages", subject_type="pairwise")
    browser = signed_in(Client(), user)
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    access_token_for(browser, languages, "openid email")
    return browser, tokens


def test_erasure_needs_the_password_and_the_confirmation(user, password, client):
    browser = signed_in(Client(), user)
    assert browser.get(ERASE).status_code == 200
    wrong = browser.post(ERASE, {"password": "wrong", "understood": "on"})
    assert wrong.status_code == 400 and "not entered correctly" in wrong.content.decode()
    unticked = browser.post(ERASE, {"password": password})
    assert unticked.status_code == 400 and "Tick the box" in unticked.content.decode()
    assert client.post(ERASE, {"password": password, "understood": "on"}).status_code == 302  # to sign in
    assert User.objects.filter(pk=user.pk).exists() and SSOSession.objects.active().filter(user=user).exists()
    assert not AuditEvent.objects.filter(event_type="account_erased").exists()


@pytest.mark.postgres
def test_nothing_of_the_person_is_left_in_any_table(
    lived_in, user, password, make_user, django_capture_on_commit_callbacks
):
    browser, tokens = lived_in
    bystander = make_user("bystander@example.org", name="Bystander")
    own_rows = [
        *_raw(User, "email", "id", user.pk),
        *_raw(User, "name", "id", user.pk),
        *_raw(EmailChange, "email", "user_id", user.pk),
        *_raw(TOTPAuthenticator, "secret", "user_id", user.pk),
        *_raw(Passkey, "name", "user_id", user.pk),
    ]
    assert len(own_rows) == 5
    needles = [*own_rows, user.email, "Lovelace", user.email_index, user.password, "cred-of-ada", str(user.pk)]
    events_before = AuditEvent.objects.filter(user_id=user.pk).count()
    assert events_before >= 4

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(ERASE, {"password": password, "understood": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:erased")

    # The account's id is the public subject the site already holds: it stays only in
    # the account-purged message that tells the site, until purge removes it.
    left = {needle: _tables_holding(needle) for needle in needles}
    assert left == {needle: ({OutboxMessage._meta.db_table} if needle == str(user.pk) else set()) for needle in needles}
    assert _tables_holding(_raw(User, "email", "id", bystander.pk)[0]) == {User._meta.db_table}  # the scan sees

    erased = AuditEvent.objects.get(event_type="account_erased")
    assert AuditEvent.objects.filter(user_id=erased.user_id).count() == events_before + 1 + 1  # + session_ended
    assert not AuditEvent.objects.filter(user_id=erased.user_id).exclude(network_id="", sid="", client_id="").exists()
    assert erased.detail == {"reason": "own_request", "sites_told": 1} and erased.actor_id is None
    call_command("audit_pii")  # raises CommandError on any plaintext or unreadable value

    # Every credential it held is dead: the refresh token, the access token, the browser.
    refresh = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 401
    assert browser.get(reverse("accounts:account")).status_code == 302


def test_every_site_that_knew_the_account_is_queued_an_account_purged_event(
    lived_in, user, site, password, mailbox, django_capture_on_commit_callbacks
):
    browser, _ = lived_in
    quiet = another_site("quiet")  # knew the account, has no receiver: nothing to send it
    SiteAccount.objects.create(user=user, site=quiet)
    Consent.objects.filter(user=user).delete()
    SSOSession.objects.filter(user=user).delete()  # the sessions purged long ago: still told
    expected_sub = subject_for(user, site)
    erase_account(user, ErasureReason.REQUESTED_BY_OWNER)
    purged = OutboxMessage.objects.filter(kind="account-purged")
    assert [(m.site.client_id, m.sub, m.status) for m in purged] == [("marketplace", expected_sub, "pending")]
    assert len(purged[0].jti) == 32


def test_the_owner_gets_a_goodbye_in_their_language(user, password, mailbox, django_capture_on_commit_callbacks):
    browser = signed_in(Client(HTTP_ACCEPT_LANGUAGE="de"), user)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(ERASE, {"password": password, "understood": "on"}, HTTP_ACCEPT_LANGUAGE="de")
    goodbye = mailbox.wait_for("ada@example.org")
    assert "gelöscht" in goodbye.subject and "ada@example.org" not in goodbye.text.split("--")[0]


def test_the_last_superuser_cannot_be_erased(make_user, password):
    admin = make_user("root@example.org", is_staff=True, is_superuser=True)
    with pytest.raises(ErasureRefused):
        erase_account(admin, ErasureReason.OWN_REQUEST)
    page = signed_in(Client(), admin).post(ERASE, {"password": password, "understood": "on"})
    assert page.status_code == 400 and "only administrator" in page.content.decode()
    assert User.objects.filter(pk=admin.pk).exists()
    second = make_user("root2@example.org", is_staff=True, is_superuser=True)
    erase_account(admin, ErasureReason.OWN_REQUEST)
    assert not User.objects.filter(pk=admin.pk).exists() and User.objects.filter(pk=second.pk).exists()


def test_an_unknown_reason_erases_nothing(user):
    with pytest.raises(ValueError):
        erase_account(user, "because")
    assert User.objects.filter(pk=user.pk).exists()


def test_the_pseudonym_is_not_the_account_id(user):
    pseudonym = erase_account(user, ErasureReason.OWN_REQUEST)
    assert isinstance(pseudonym, uuid.UUID) and pseudonym != user.pk
    assert AuditEvent.objects.filter(user_id=pseudonym, event_type="registration").exists() is False
    assert AuditEvent.objects.filter(user_id=pseudonym, event_type="account_erased").count() == 1
