"""The IdP pages in a real Chromium: register, see the account, sign out everywhere, sign in."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_account_page_sign_out_everywhere_and_back(page, live_server, mailbox):
    page.goto(f"{live_server.url}/register/")
    page.fill("input[name=email]", "Browser.User@Example.org")
    page.fill("input[name=name]", "Browser User")
    page.fill("input[name=password]", "a passphrase for chromium 1")
    page.fill("input[name=password_confirm]", "a passphrase for chromium 1")
    page.click("button[type=submit]")
    page.wait_for_selector("#mail-sent")  # registering signs nobody in: the address is proved first
    page.goto(live_server.url + mailbox.wait_for("browser.user@example.org").link("/link/verify/"))
    page.click("#confirm")
    page.click("#to-sign-in")
    page.fill("input[name=email]", "browser.user@example.org")
    page.fill("input[name=password]", "a passphrase for chromium 1")
    page.click("button[type=submit]")

    page.wait_for_url(f"{live_server.url}/account/")
    assert page.inner_text("#profile-email") == "Browser.User@example.org"  # domain part normalised
    assert "this device" in page.inner_text("#sessions")

    page.click("#sign-out-everywhere")
    assert "Sign out everywhere?" in page.inner_text("main")  # it asks first
    page.click("button:has-text('Sign out everywhere')")
    page.wait_for_url(f"{live_server.url}/signed-out/?everywhere=1")
    assert "Every session of your account has been ended" in page.inner_text("main")
    page.reload()  # a page, not a form result: nothing is sent again
    assert "Every session of your account has been ended" in page.inner_text("main")
    page.goto(f"{live_server.url}/account/")
    assert "/login/" in page.url

    page.fill("input[name=email]", "browser.user@example.org")
    page.fill("input[name=password]", "not the passphrase")
    page.click("button[type=submit]")
    assert "The email address or password is not correct." in page.inner_text("[role=alert]")

    page.fill("input[name=password]", "a passphrase for chromium 1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/")
    assert page.inner_text("#profile-name") == "Browser User"
