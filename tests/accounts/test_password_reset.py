"""Forgotten passwords: one answer for known and unknown addresses, a link valid once and
for a limited time, and a reset that ends every session as "sign out everywhere" does."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.mail.links import RESET_PASSWORD
from accounts.models import AuditEvent, SSOSession, User
from accounts.oauth import denylist
from tests.accounts.test_verification import answer
from tests.support.oauth import signed_in

pytestmark = pytest.mark.django_db
FORGOT = reverse("accounts:password_reset")
NEW = "a brand new passphrase 99"


def reset_link(mailbox, user) -> str:
    assert Client().post(FORGOT, {"email": user.email.upper()}).status_code == 200
    return mailbox.wait_for(user.email).link("/link/reset/")


def choose(link: str, password: str = NEW, client: Client | None = None):
    return (client or Client()).post(link, {"new_password1": password, "new_password2": password})


def test_known_and_unknown_addresses_get_the_same_answer_and_one_message_each(user, mailbox):
    unknown = "adb@example.org"
    known = Client().post(FORGOT, {"email": user.email})
    other = Client().post(FORGOT, {"email": unknown})
    assert known.status_code == 200 and "Check your inbox" in known.content.decode()
    assert answer(known, user.email) == answer(other, unknown)
    (link_mail,), (no_account,) = mailbox.to(user.email), mailbox.to(unknown)
    assert link_mail.link("/link/reset/") and "no account has it" in no_account.text
    assert not [link for link in no_account.links if "/link/" in link]


def test_the_link_sets_a_new_password_once_and_ends_every_session(user, password, mailbox, site):
    sessions = [signed_in(Client(), user) for _ in range(2)]
    sids = list(SSOSession.objects.filter(user=user).values_list("sid", flat=True))
    link = reset_link(mailbox, user)
    form = Client().get(link)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()

    done = choose(link)
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(password)
    assert user.email_verified  # the link proved the mailbox
    assert not SSOSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert all(denylist.access_token_denied("any-jti", sid) for sid in sids)  # their access tokens are refused
    for client in sessions:
        assert client.get(reverse("accounts:account")).status_code == 302  # signed out
    assert AuditEvent.objects.filter(event_type="password_reset", user=user).count() == 1
    notice = mailbox.wait_for(user.email, 2)
    assert "was just changed" in notice.text

    again = choose(link, "yet another passphrase 12")
    assert again.status_code == 400 and "This link is not valid" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_a_reset_clears_the_accounts_lockout_counters(user, mailbox, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    wrong = {"email": user.email, "password": "not it at all"}
    for _ in range(3):
        Client().post(reverse("accounts:login"), wrong)
    locked = Client().post(reverse("accounts:login"), {"email": user.email, "password": NEW})
    assert locked.status_code == 429
    assert choose(reset_link(mailbox, user)).status_code == 302
    time.sleep(0)  # the delay key is gone, not waited out
    assert Client().post(reverse("accounts:login"), {"email": user.email, "password": NEW}).status_code == 302


def test_a_weak_new_password_is_refused_under_the_same_validators(user, mailbox, password):
    link = reset_link(mailbox, user)
    for weak in ("short", "1234567890123", "password123456"):
        response = choose(link, weak)
        assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    mismatch = Client().post(link, {"new_password1": NEW, "new_password2": NEW + "x"})
    assert mismatch.status_code == 400
    huge = choose(link, "x" * 10_000)
    assert huge.status_code == 400
    user.refresh_from_db()
    assert user.check_password(password)  # nothing changed


def test_a_link_after_the_password_changed_otherwise_is_refused(user, mailbox, browser, password):
    link = reset_link(mailbox, user)
    changed = browser.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "changed by hand 2024", "new_password2": "changed by hand 2024"},
    )
    assert changed.status_code == 302
    assert Client().get(link).status_code == 400
    assert choose(link).status_code == 400
    user.refresh_from_db()
    assert user.check_password("changed by hand 2024")


def test_a_link_for_another_account_or_tampered_is_refused(user, make_user, mailbox, password):
    other = make_user("other@example.org")
    link = reset_link(mailbox, user)
    token = link.split("/")[3]
    forged = RESET_PASSWORD.make_token(other)[:20] + token[20:]  # one account's payload, another's signature
    for bad in (f"/link/reset/{forged}/", link[:-5] + "/", "/link/reset/" + "A" * 10_000 + "/"):
        response = choose(bad)
        assert response.status_code == 400 and "not valid" in response.content.decode()
    for account in (user, other):
        account.refresh_from_db()
        assert account.check_password(password)


def test_a_link_expires_after_thirty_minutes(user, mailbox, monkeypatch, password):
    link = reset_link(mailbox, user)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30 * 60 + 1)
    response = choose(link)
    assert response.status_code == 400 and "This link has expired" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_a_sign_in_after_the_request_retires_the_link(user, mailbox, password):
    link = reset_link(mailbox, user)
    assert Client().post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    assert choose(link).status_code == 400


def test_reset_requests_are_rate_limited_for_known_and_unknown_alike(settings, user, mailbox):
    settings.MAIL_PER_ACCOUNT_PER_HOUR = 2
    for address in (user.email, "nobody@example.org"):
        codes = [Client(REMOTE_ADDR=f"203.0.{i}.1").post(FORGOT, {"email": address}).status_code for i in range(3)]
        assert codes == [200, 200, 429]
    assert len(mailbox.messages) == 4


@pytest.mark.parametrize("email", ["not an address", "a" * 10_000 + "@example.org", "ada@exa\x00mple.org", ""])
def test_malformed_addresses_are_a_readable_error_and_send_nothing(email, mailbox):
    response = Client().post(FORGOT, {"email": email})
    page = response.content.decode()
    assert response.status_code == 400 and ('aria-invalid="true"' in page or "Bad request" in page)
    assert mailbox.messages == []


def test_the_login_page_offers_the_reset(client):
    assert f'href="{FORGOT}"' in client.get(reverse("accounts:login")).content.decode()


def test_disabled_accounts_get_no_link(user, mailbox):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert Client().post(FORGOT, {"email": user.email}).status_code == 200
    assert not [link for link in mailbox.wait_for(user.email).links if "/link/reset/" in link]
    assert caches["default"] is not None
