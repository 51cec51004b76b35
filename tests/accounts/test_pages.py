"""Registration and the other pages: bad input gets a clear error and writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, SSOSession, User
from accounts.pii.blind_index import email_index
from tests.support.oauth import REGISTRATION

pytestmark = pytest.mark.django_db
REGISTER = reverse("accounts:register")
GOOD = REGISTRATION


def nothing_written():
    return (User.objects.count(), AuditEvent.objects.count(), SSOSession.objects.count())


def test_registration_creates_an_unverified_account_mails_a_link_and_audits(client, mailbox):
    response = client.post(REGISTER, GOOD)
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    user = User.objects.get_by_email("GRACE@example.org")
    assert (user.email, user.name, user.email_verified) == ("grace@example.org", "Grace Hopper", False)
    assert user.check_password(GOOD["password"])
    assert AuditEvent.objects.filter(event_type="registration", user=user).exists()
    assert [m.recipients for m in mailbox.messages] == [["grace@example.org"]]
    assert "/link/verify/" in mailbox.messages[0].link("/link/verify/")
    assert client.get(reverse("accounts:account")).status_code == 302  # not signed in by registering


def test_registration_with_a_taken_address_in_other_case_creates_nothing_and_tells_the_owner(client, user, mailbox):
    before = nothing_written()
    response = client.post(REGISTER, {**GOOD, "email": "  ADA@EXAMPLE.org"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert "already" not in response.content.decode()
    assert (User.objects.count(), SSOSession.objects.count()) == before[::2]
    assert AuditEvent.objects.filter(event_type="registration_repeated", user=user).count() == 1
    (notice,) = mailbox.messages
    assert notice.recipients == ["ADA@EXAMPLE.org"] and "already has one" in notice.text
    assert notice.link("/login/") and notice.link("/password/forgot/")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("name", "x" * 10_000, "Ensure this value has at most 150 characters"),
        ("name", "Eve\x00Null", "characters that are not allowed"),  # refused before any form (NUL)
        ("name", "Mallory\u202egnp.exe", "Remove control or invisible characters."),
        ("name", "Line\nBreak", "Remove control or invisible characters."),
        ("password_confirm", "something else entirely", "The two passwords do not match."),
        ("password", "short", "This password is too short."),
    ],
)
def test_bad_registration_input_is_refused_with_a_clear_message(client, field, value, message):
    before = nothing_written()
    data = {**GOOD, field: value}
    if field == "password":
        data["password_confirm"] = value
    response = client.post(REGISTER, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_written() == before


def test_wrong_content_type_is_a_clear_error(client):
    before = nothing_written()
    response = client.post(REGISTER, data='{"email": "json@example.org"}', content_type="application/json")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert nothing_written() == before


def test_missing_csrf_token_is_refused_with_a_readable_page(user, password):
    browser = Client(enforce_csrf_checks=True)
    before = nothing_written()
    for url, data in ((REGISTER, GOOD), (reverse("accounts:login"), {"email": user.email, "password": password})):
        response = browser.post(url, data)
        assert response.status_code == 403
        assert "This form has expired" in response.content.decode()
    assert nothing_written() == before


def test_oversized_body_is_refused_without_a_server_error(client):
    before = nothing_written()
    response = client.post(REGISTER, {**GOOD, "name": "x" * 200_000})
    assert response.status_code == 400
    assert nothing_written() == before


def test_unknown_page_and_wrong_method_are_readable(client):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "There is no page at this address." in missing.content.decode()
    assert client.put(reverse("accounts:login")).status_code == 405


def test_password_change_ends_other_sessions(client, user, password):
    other = Client()
    other.post(reverse("accounts:login"), {"email": user.email, "password": password})
    client.post(reverse("accounts:login"), {"email": user.email, "password": password})
    new_password = "an entirely new passphrase 9"
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200  # this browser stays in
    assert other.get(reverse("accounts:account")).status_code == 302  # the other one is out
    assert AuditEvent.objects.filter(event_type="password_change", user=user).exists()
    assert SSOSession.objects.active().filter(user=user).count() == 1


def test_wrong_old_password_changes_nothing(client, user, password):
    client.post(reverse("accounts:login"), {"email": user.email, "password": password})
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not it at all",
            "new_password1": "x new passphrase 1",
            "new_password2": "x new passphrase 1",
        },
    )
    assert response.status_code == 400
    assert User.objects.get(pk=user.pk).check_password(password)


def _count_hashes(monkeypatch) -> list[int]:
    from accounts.hashers import Argon2idPasswordHasher

    counted, original = [], Argon2idPasswordHasher.encode
    monkeypatch.setattr(
        Argon2idPasswordHasher,
        "encode",
        lambda self, *args, **kwargs: (counted.append(1), original(self, *args, **kwargs))[1],
    )
    return counted


def test_a_taken_address_costs_the_same_work_as_a_new_one(client, user, monkeypatch):
    """The attack: a taken address was answered in 55 ms, a new one in 121 ms (no password hashed)."""
    hashes = _count_hashes(monkeypatch)
    assert client.post(REGISTER, {**GOOD, "email": "ada@example.org"}).status_code == 200
    taken = len(hashes)
    assert Client().post(REGISTER, GOOD).status_code == 200
    assert taken == len(hashes) - taken == 1  # one Argon2id hash each: no shortcut for a taken address


def test_registration_is_throttled_per_network(settings):
    settings.REGISTRATIONS_PER_NETWORK_PER_HOUR = 3
    for i in range(3):
        answered = Client().post(REGISTER, {**GOOD, "email": f"person{i}@example.org"}, REMOTE_ADDR="198.51.100.7")
        assert answered.status_code == 200
    users, sessions = User.objects.count(), SSOSession.objects.count()
    throttled = Client().post(REGISTER, {**GOOD, "email": "one.more@example.org"}, REMOTE_ADDR="198.51.100.9")
    assert throttled.status_code == 429 and "Too many accounts" in throttled.content.decode()
    assert (User.objects.count(), SSOSession.objects.count()) == (users, sessions)  # the same /24: refused
    assert AuditEvent.objects.filter(event_type="registration_throttled").count() == 1
    elsewhere = Client().post(REGISTER, {**GOOD, "email": "one.more@example.org"}, REMOTE_ADDR="192.0.2.1")
    assert elsewhere.status_code == 200 and User.objects.filter(email_index=email_index("one.more@example.org"))


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("email=a%40b.org&password=x", "application/x-www-form-urlencoded; charset=latin-1"),
        ("&".join(f"p{i}=1" for i in range(1200)), "application/x-www-form-urlencoded"),
    ],
)
def test_bodies_django_refuses_get_a_readable_page_not_a_server_error(body, content_type):
    """The attack: a form in latin-1, or with more than 1,000 fields, was a 500 under the debug default."""
    for page in (reverse("accounts:login"), REGISTER):
        response = Client().post(page, body, content_type=content_type)
        assert response.status_code == 400 and "Bad request" in response.content.decode()
        assert not User.objects.exists()


def test_registering_from_a_partner_returns_to_it(site):
    """The attack on usability: "Create one" lost the way back, and a new account landed on the IdP."""
    from urllib.parse import parse_qs, urlsplit

    back = "/oauth/authorize/?client_id=marketplace&scope=openid"
    login_page = Client().get(reverse("accounts:login"), {"next": back, "client_id": "marketplace"}).content.decode()
    create = login_page.split('id="create-account" href="')[1].split('"')[0].replace("&amp;", "&")
    query = {k: v[0] for k, v in parse_qs(urlsplit(create).query).items()}
    assert query == {"next": back, "client_id": "marketplace"}
    browser = Client()
    form = browser.get(create)
    assert "to continue to <strong>Skills Marketplace</strong>" in form.content.decode()
    registered = browser.post(create, {**GOOD, **query}).content.decode()
    assert "to continue to <strong>Skills Marketplace</strong>" in registered  # the inbox page keeps it
    to_sign_in = registered.split('id="to-sign-in" href="')[1].split('"')[0].replace("&amp;", "&")
    assert {k: v[0] for k, v in parse_qs(urlsplit(to_sign_in).query).items()} == query


def test_a_wrong_password_keeps_the_site_being_signed_in_to(site, user):
    response = Client().post(
        reverse("accounts:login"),  # the form posts to the bare URL
        {"email": user.email, "password": "wrong password here", "client_id": "marketplace"},
    )
    assert (
        response.status_code == 400
        and "to continue to <strong>Skills Marketplace</strong>" in response.content.decode()
    )


def test_the_sign_in_page_of_a_signed_in_user_offers_to_continue_or_switch(browser, user):
    page = browser.get(reverse("accounts:login") + "?next=/account/").content.decode()
    assert "You are signed in as" in page and user.email in page and 'id="continue" href="/account/"' in page
    assert 'name="password"' not in page
    switched = browser.get(reverse("accounts:login") + "?switch=1&next=/account/").content.decode()
    assert 'name="password"' in switched  # the form, to sign in as someone else


def test_the_registration_page_of_a_signed_in_user_says_so(browser, user):
    page = browser.get(reverse("accounts:register")).content.decode()
    assert "You are signed in as" in page and 'name="password_confirm"' not in page


def test_the_sign_out_page_of_a_signed_out_browser_says_so(client):
    page = client.get(reverse("accounts:logout"))
    assert page.status_code == 200 and "You are signed out" in page.content.decode()
    assert "<form" not in page.content.decode().split('id="content"')[1].split("</main>")[0]  # nothing to confirm


def test_sign_out_everywhere_asks_first_and_ends_on_a_page_that_may_be_reloaded(browser, user):
    from accounts.models import SSOSession

    confirm = browser.get(reverse("accounts:end_all_sessions"))
    assert confirm.status_code == 200 and "Sign out everywhere?" in confirm.content.decode()
    assert SSOSession.objects.active().filter(user=user).exists()  # asking ended nothing
    done = browser.post(reverse("accounts:end_all_sessions"))
    assert done.status_code == 302 and done["Location"] == reverse("accounts:signed_out") + "?everywhere=1"
    assert done["Clear-Site-Data"] and not SSOSession.objects.active().filter(user=user).exists()
    again = browser.get(done["Location"])
    assert again.status_code == 200 and "on every device" in again.content.decode()


def test_the_account_page_names_sessions_sites_and_allowed_scopes_in_words(browser, user, site):
    from tests.support.oauth import Pkce, obtain_code

    obtain_code(browser, site, Pkce.new())  # consents to openid email profile
    page = browser.get(reverse("accounts:account")).content.decode()
    assert f"Signed in to {site.name}" in page
    assert "See your email address" in page and "See your name" in page  # the consent page's words
