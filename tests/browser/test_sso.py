"""Single sign-on and single logout across two partner sites, in a real Chromium.

The IdP is the test's live server on localhost; the partner sites run as
their own processes on 127.0.0.1 and 127.0.0.2, so cookies are isolated per
site as in production. Each step leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


class Steps:
    def __init__(self, page, name: str):
        self.page, self.folder, self.count = page, ARTIFACTS / name, 0
        self.folder.mkdir(parents=True, exist_ok=True)

    def shot(self, label: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{label}.png"), full_page=True)


def readable_sessions(partner) -> list[str]:
    """The partner's session rows as anyone holding a copy of its database reads them
    (Django signs session data, it does not encrypt it)."""
    import base64
    import sqlite3
    import zlib

    with sqlite3.connect(partner.workdir / f"{partner.client_id}.sqlite3") as db:
        rows = [row[0] for row in db.execute("SELECT session_data FROM django_session")]
    readable = []
    for data in rows:
        payload = data.split(":")[0]
        raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
        readable.append((zlib.decompress(raw) if payload.startswith(".") else raw).decode())
    return readable


def assert_partner_keeps_no_pii_or_tokens_in_clear(partner) -> None:
    sessions = readable_sessions(partner)
    signed_in = [text for text in sessions if "partner_user" in text]
    assert signed_in, sessions
    for text in signed_in:
        assert "ada@example.org" not in text and "Lovelace" not in text  # no e-mail, no name in clear
        # No JWT (a base64url JSON header, a dot, a payload): access, refresh and ID token are
        # sealed. Not merely "eyJ", which random base64 elsewhere in the row contains by chance.
        assert not re.search(r"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.", text)
        assert '"partner_tokens":"gAAAA' in text  # the Fernet seal


def sign_in_on_idp(page, user, password):
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sso_across_sites_and_single_logout(chromium, marketplace, languages, user, password):
    context = chromium.new_context()
    page = context.new_page()
    steps = Steps(page, "sso-and-single-logout")

    page.goto(marketplace.url)
    page.click("#sign-in")
    page.wait_for_selector("input[name=email]")
    assert page.url.startswith(marketplace.issuer + "/login/")
    steps.shot("idp-login")
    sign_in_on_idp(page, user, password)
    page.wait_for_selector("button[name=decision][value=allow]")
    assert "Continue to Skills Marketplace as ada@example.org?" in page.inner_text("h1")
    steps.shot("consent-marketplace")
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(marketplace.url + "/")
    assert page.inner_text("#signed-in-as") == "Signed in as Ada Lovelace"
    steps.shot("marketplace-signed-in")
    assert_partner_keeps_no_pii_or_tokens_in_clear(marketplace)

    page.goto(languages.url)
    page.click("#sign-in")
    page.wait_for_selector("button[name=decision][value=allow]")  # consent only: no password asked
    assert page.locator("input[name=password]").count() == 0
    steps.shot("consent-languages")
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(languages.url + "/")
    assert "Signed in as Ada Lovelace" in page.inner_text("#account")
    steps.shot("languages-signed-in")

    old_marketplace_cookie = next(c for c in context.cookies(marketplace.url) if c["name"] == "marketplace_session")

    page.click("text=Sign out")
    page.wait_for_url(languages.url + "/signed-out/*")
    steps.shot("languages-signed-out")

    page.goto(marketplace.url)
    assert page.locator("#sign-in").is_visible()  # told by back-channel logout
    assert "You were signed out" in page.inner_text("#signed-out-elsewhere")  # and the user is told why
    steps.shot("marketplace-signed-out")

    replay = chromium.new_context()
    replay.add_cookies([old_marketplace_cookie])
    replay_page = replay.new_page()
    replay_page.goto(marketplace.url + "/mine/")
    assert replay_page.url.startswith(marketplace.issuer)  # the old cookie is dead: sent to sign in
    replay.close()

    page.click("#sign-in")
    page.wait_for_selector("input[name=password]")  # the IdP session ended too: password again
    steps.shot("password-needed-again")
    context.close()


def test_declining_consent_shows_sign_in_cancelled(chromium, marketplace, user, password):
    page = chromium.new_page()
    steps = Steps(page, "consent-declined")
    page.goto(marketplace.url)
    page.click("#sign-in")
    sign_in_on_idp(page, user, password)
    page.click("button[name=decision][value=deny]")
    page.wait_for_selector("[role=alert]")
    assert "Sign-in cancelled" in page.inner_text("[role=alert]")
    assert page.locator("#sign-in").is_visible()
    steps.shot("sign-in-cancelled")


def test_forms_are_labelled_keyboard_usable_and_fit_a_phone(chromium, idp, user, password):
    page = chromium.new_page(viewport={"width": 360, "height": 740})
    for path in ("/login/", "/register/"):
        page.goto(idp + path)
        for field in page.locator("main input:not([type=hidden])").all():
            field_id = field.get_attribute("id")
            assert page.locator(f"label[for='{field_id}']").count() == 1, (path, field_id)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.goto(idp + "/login/")
    # The email field takes the focus on arrival (autofocus); from there the keyboard alone signs in.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'email'", timeout=5000)
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(idp + "/account/")
    Steps(page, "phone-width").shot("account")


def test_partner_refreshes_quietly_and_signs_out_when_refresh_is_refused(
    chromium, marketplace, user, password, monkeypatch
):
    from datetime import timedelta

    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from accounts.models import RefreshTokenRecord
    from accounts.oauth.tokens import SSOAccessToken

    # Access tokens that the partner already considers expired: every page that
    # needs the profile makes it refresh first.
    monkeypatch.setattr(SSOAccessToken, "lifetime", timedelta(seconds=10))
    page = chromium.new_page()
    steps = Steps(page, "quiet-refresh")
    page.goto(marketplace.url + "/mine/")
    sign_in_on_idp(page, user, password)
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(marketplace.url + "/mine/")
    assert "Profile from the identity provider: Ada Lovelace" in page.inner_text("#profile")
    assert RefreshTokenRecord.objects.filter(rotated_at__isnull=False).count() == 1  # refreshed, quietly
    steps.shot("profile-after-refresh")

    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=t) for t in OutstandingToken.objects.all()], ignore_conflicts=True
    )
    page.goto(marketplace.url + "/mine/")
    assert "You were signed out" in page.inner_text("[role=alert]")
    page.goto(marketplace.url)
    assert page.locator("#sign-in").is_visible()
    steps.shot("signed-out-after-refused-refresh")


def test_partner_sign_in_finds_its_way_back_and_resumes_the_action(chromium, languages, user, password):
    """The attack on usability: "Sign in" on the signed-out page returned to "signed out", and an
    Install that needed a sign-in was forgotten once signed in."""
    page = chromium.new_page()
    steps = Steps(page, "partner-way-back")
    page.goto(languages.url + "/items/docs-de/")
    page.click("button[type=submit]:has-text('Install')")
    sign_in_on_idp(page, user, password)
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(languages.url + "/mine/")
    assert "Docs into German" in page.inner_text("main")  # installed, as asked before signing in
    steps.shot("installed-after-sign-in")

    page.click("text=Sign out")
    page.wait_for_url(languages.url + "/signed-out/*")
    page.click("#sign-in")
    page.wait_for_selector("input[name=password]")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(languages.url + "/")  # into the site, not back to "You are signed out"
    assert "Signed in as Ada Lovelace" in page.inner_text("#account")
    steps.shot("signed-in-from-signed-out-page")
