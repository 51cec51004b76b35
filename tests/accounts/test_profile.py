"""Changing the address (proved at the new address, the old one told) and the name; both
stay ciphertext at rest and found through the blind index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, EmailChange, User

pytestmark = pytest.mark.django_db
CHANGE = reverse("accounts:email_change")


def ask(browser, password, email="ada.new@example.org"):
    return browser.post(CHANGE, {"email": email, "password": password})


def test_the_new_address_replaces_the_old_only_once_proved_and_the_old_is_told(browser, user, password, mailbox):
    asked = ask(browser, password)
    assert asked.status_code == 200 and "Check your inbox" in asked.content.decode()
    user.refresh_from_db()
    assert user.email == "ada@example.org"  # nothing changed yet
    link = mailbox.wait_for("ada.new@example.org").link("/link/email/")
    assert Client().get(link).status_code == 200  # opening it asks; a scanner changes nothing
    assert User.objects.get(pk=user.pk).email == "ada@example.org"

    assert browser.post(link).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("ada.new@example.org", True)
    assert User.objects.get_by_email("ADA.NEW@example.org").pk == user.pk
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_email("ada@example.org")
    told = mailbox.wait_for("ada@example.org")
    assert "was changed" in told.text and "ada.new" not in told.text + told.html  # the old address learns no new one
    assert not EmailChange.objects.exists()
    assert AuditEvent.objects.filter(event_type="email_changed", user=user).count() == 1
    assert Client().post(link).status_code == 400  # once
    call_command("audit_pii")  # both addresses ciphertext


def test_a_wrong_password_changes_nothing_and_counts_towards_the_lockout(browser, user, mailbox, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    responses = [ask(browser, "not my password") for _ in range(3)]
    assert [r.status_code for r in responses] == [400, 429, 429]  # locked at the limit, as at sign-in
    assert "not entered correctly" in responses[0].content.decode()
    assert not EmailChange.objects.exists() and mailbox.messages == []
    assert AuditEvent.objects.filter(event_type="login_failure", user=user).count() >= 2


def test_an_address_of_another_account_tells_its_owner_and_reveals_nothing(browser, user, make_user, password, mailbox):
    make_user("taken@example.org")
    taken = ask(browser, password, "TAKEN@example.org")
    free = ask(browser, password, "freee@example.org")
    assert taken.status_code == free.status_code == 200
    (notice,) = mailbox.to("taken@example.org")
    assert "already has an account" in notice.text and not [link for link in notice.links if "/link/" in link]
    assert mailbox.wait_for("freee@example.org").link("/link/email/")


def test_an_address_taken_between_request_and_link_is_refused_readably(browser, user, make_user, password, mailbox):
    ask(browser, password, "later@example.org")
    link = mailbox.wait_for("later@example.org").link("/link/email/")
    make_user("later@example.org")
    refused = browser.post(link)
    assert refused.status_code == 409 and "already in use" in refused.content.decode()
    assert User.objects.get(pk=user.pk).email == "ada@example.org"


def test_an_expired_or_tampered_link_changes_nothing(browser, user, password, mailbox):
    ask(browser, password)
    link = mailbox.wait_for("ada.new@example.org").link("/link/email/")
    for bad in (link[:-4] + "/", "/link/email/" + "x" * 10_000 + "/"):
        assert browser.post(bad).status_code == 400
    EmailChange.objects.update(requested_at=timezone.now() - timedelta(hours=25))
    expired = browser.post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert User.objects.get(pk=user.pk).email == "ada@example.org"


@pytest.mark.parametrize(
    "email", ["ada@example.org", "ADA@example.org", "not an address", "a" * 10_000 + "@example.org", "x@\x01.org"]
)
def test_bad_new_addresses_are_a_readable_error(browser, password, email, mailbox):
    response = ask(browser, password, email)
    assert response.status_code == 400
    assert not EmailChange.objects.exists() and mailbox.messages == []


def test_the_name_is_changed_encrypted_and_audited(browser, user):
    page = browser.get(reverse("accounts:name_change"))
    assert 'value="Ada Lovelace"' in page.content.decode()
    assert browser.post(reverse("accounts:name_change"), {"name": "  Ada King  "}).status_code == 302
    user.refresh_from_db()
    assert user.name == "Ada King"
    assert AuditEvent.objects.filter(event_type="name_changed", user=user).count() == 1
    assert browser.post(reverse("accounts:name_change"), {"name": "x" * 10_000}).status_code == 400
    assert browser.post(reverse("accounts:name_change"), {"name": "bad\x07name"}).status_code == 400
    assert User.objects.get(pk=user.pk).name == "Ada King"
    call_command("audit_pii")


def test_the_account_pages_need_a_signed_in_user(client):
    for page in (CHANGE, reverse("accounts:name_change")):
        assert client.get(page).status_code == 302
