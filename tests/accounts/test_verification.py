"""Verified addresses: the link mailed at registration, email_verified in tokens only after
it, sites that require it, and resending under a rate limit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.mail.links import VERIFY_EMAIL
from accounts.models import AuditEvent, User
from accounts.oauth.claims import identity_claims
from tests.support.oauth import REGISTRATION, Pkce, another_site, authorize_params, query_of

pytestmark = pytest.mark.django_db
REGISTER = reverse("accounts:register")
GOOD = REGISTRATION


def csrf_free(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


def registered_link(mailbox, client=None) -> str:
    (client or Client()).post(REGISTER, GOOD)
    return mailbox.wait_for("grace@example.org").link("/link/verify/")


def answer(response, typed: str) -> tuple:
    """A response with the CSRF tokens, the address the user typed (shown back), the time and the
    request id (fresh and random for every request alike) set aside."""
    varying = ("Set-Cookie", "Expires", "X-Request-ID")
    headers = {k: v for k, v in response.headers.items() if k not in varying}
    return (
        response.status_code,
        headers,
        sorted(response.cookies),
        csrf_free(response.content.decode()).replace(typed, "@"),
    )


def test_registration_answers_a_taken_and_a_new_address_byte_for_byte_alike(user, mailbox):
    unknown = "adb@example.org"  # as long as the taken one
    taken = Client().post(REGISTER, {**GOOD, "email": user.email})
    new = Client().post(REGISTER, {**GOOD, "email": unknown})
    assert taken.status_code == 200 and "Check your inbox" in taken.content.decode()
    assert answer(taken, user.email) == answer(new, unknown)
    assert len(mailbox.to(user.email)) == len(mailbox.to(unknown)) == 1  # one message each


def test_the_link_verifies_once_and_email_verified_follows(mailbox):
    link = registered_link(mailbox)
    user = User.objects.get_by_email("grace@example.org")
    assert identity_claims(user, {"email"})["email_verified"] is False

    page = Client().get(link)
    assert page.status_code == 200 and "Confirm my address" in page.content.decode()
    user.refresh_from_db()
    assert not user.email_verified  # opening the link (a mail scanner does) verifies nothing

    done = Client().post(link)
    assert done.status_code == 200 and "Your e-mail address is verified." in done.content.decode()
    user.refresh_from_db()
    assert identity_claims(user, {"email"})["email_verified"] is True
    assert AuditEvent.objects.filter(event_type="email_verified", user=user).count() == 1

    again = Client().post(link)
    assert again.status_code == 400 and "This link is not valid" in again.content.decode()
    assert AuditEvent.objects.filter(event_type="email_verified").count() == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda link: link[:-6] + "/",  # truncated
        lambda link: link.replace("/link/verify/", "/link/verify/x"),  # tampered
        lambda link: "/link/verify/" + "a" * 10_000 + "/",  # huge
        lambda link: "/link/verify/%00/",
    ],
)
def test_a_broken_link_is_a_readable_refusal_and_verifies_nothing(mailbox, mangle):
    bad = mangle(registered_link(mailbox))
    response = Client().post(bad)
    assert response.status_code in (400, 404)
    assert "Traceback" not in response.content.decode()
    assert not User.objects.get_by_email("grace@example.org").email_verified


def test_a_link_expires_after_the_configured_time(mailbox, settings, monkeypatch):
    link = registered_link(mailbox)
    settings.EMAIL_VERIFICATION_HOURS = 1
    import time

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3601)
    response = Client().post(link)
    assert response.status_code == 400 and "This link has expired" in response.content.decode()
    assert not User.objects.get_by_email("grace@example.org").email_verified


def test_a_verification_link_is_for_the_address_it_was_mailed_to(mailbox, user):
    token = VERIFY_EMAIL.make_token(user)
    user.email = "ada.new@example.org"
    user.save()
    response = Client().post(reverse("accounts:verify_email", args=[token]))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.email_verified


@pytest.fixture
def strict_site(db):
    return another_site("strict", first_party=True, require_verified_email=True)


def test_a_site_that_requires_a_verified_address_waits_for_it(browser, user, strict_site, mailbox):
    params = authorize_params(strict_site, Pkce.new())
    gate = browser.get(reverse("oauth:authorize"), params)
    assert gate.status_code == 403
    page = gate.content.decode()
    assert "Verify your address first" in page and "Strict" in page
    silent = browser.get(reverse("oauth:authorize"), {**params, "prompt": "none"})
    assert query_of(silent["Location"])["error"] == "interaction_required"

    resent = browser.post(reverse("accounts:resend_verification"), {"next": "/oauth/authorize/?x=1"})
    assert resent.status_code == 200 and "Check your inbox" in resent.content.decode()
    link = mailbox.wait_for(user.email).link("/link/verify/")
    assert browser.post(link).status_code == 302  # signed in: back to the account page

    allowed = browser.get(reverse("oauth:authorize"), params)
    assert allowed.status_code == 302 and "code" in query_of(allowed["Location"])


def test_register_site_takes_require_verified_email(capsys):
    from django.core.management import call_command

    call_command(
        "register_site",
        "--client-id",
        "strict2",
        "--name",
        "S",
        "--redirect-uri",
        "https://s.example/cb",
        "--require-verified-email",
    )
    from accounts.models import PartnerSite

    assert PartnerSite.objects.get(client_id="strict2").require_verified_email


def test_resending_is_rate_limited_per_account_and_per_network(settings, make_user, password, mailbox):
    settings.MAIL_PER_ACCOUNT_PER_HOUR, settings.MAIL_PER_NETWORK_PER_HOUR = 2, 4
    first, second = make_user("first@example.org"), make_user("second@example.org")
    resend = reverse("accounts:resend_verification")

    def signed_in(user, network):
        client = Client(REMOTE_ADDR=network)
        client.post(reverse("accounts:login"), {"email": user.email, "password": password})
        return client

    one = signed_in(first, "198.51.100.7")
    assert [one.post(resend).status_code for _ in range(3)] == [200, 200, 429]  # the account's two
    assert len(mailbox.to("first@example.org")) == 2
    other_network = signed_in(first, "192.0.2.1")
    assert other_network.post(resend).status_code == 429  # per account, from anywhere
    two = signed_in(second, "198.51.100.9")  # the same /24 as the first (three counted): one left of four
    assert [two.post(resend).status_code for _ in range(2)] == [200, 429]
    assert "Too many messages" in two.post(resend).content.decode()


def test_unverified_accounts_see_it_on_their_account_page(browser):
    page = browser.get(reverse("accounts:account")).content.decode()
    assert 'id="email-unverified"' in page and reverse("accounts:resend_verification") in page


def test_verification_lifetime_defaults_to_a_day(settings):
    assert VERIFY_EMAIL.lifetime() == timedelta(hours=24) == timedelta(hours=settings.EMAIL_VERIFICATION_HOURS)
