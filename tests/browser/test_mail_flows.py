"""Registration with a verified address, password reset and an address change, end to end
in Chromium: every link is the one the real SMTP server on loopback received."""

from __future__ import annotations

import pytest

from accounts.models import PartnerSite, User
from accounts.oauth.registry import forget_cached_registry
from tests.browser.conftest import serious_violations
from tests.browser.test_sso import Steps, sign_in_on_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "a passphrase for chromium 1"


def follow(page, idp: str, path: str) -> None:
    page.goto(idp + path)


def test_register_verify_from_the_mailed_link_and_sign_in(page, idp, mailbox):
    steps = Steps(page, "register-and-verify")
    page.goto(f"{idp}/register/")
    page.fill("input[name=email]", "Browser.User@Example.org")
    page.fill("input[name=name]", "Browser User")
    page.fill("input[name=password]", PASSPHRASE)
    page.fill("input[name=password_confirm]", PASSPHRASE)
    page.click("main button[type=submit]")
    page.wait_for_selector("#mail-sent")
    assert "Check your inbox" in page.inner_text("h1")
    assert serious_violations(page) == []
    steps.shot("check-inbox")

    link = mailbox.wait_for("Browser.User@example.org").link("/link/verify/")
    follow(page, idp, link)
    steps.shot("confirm-address")
    page.click("#confirm")
    page.wait_for_selector("#verified")
    assert serious_violations(page) == []
    steps.shot("verified")
    page.click("#to-sign-in")
    page.fill("input[name=email]", "browser.user@example.org")
    page.fill("input[name=password]", PASSPHRASE)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{idp}/account/")
    assert page.is_visible("#email-verified")
    assert User.objects.get_by_email("browser.user@example.org").email_verified


def test_forgot_password_reset_from_the_mailed_link_then_sign_in(page, idp, user, password, mailbox):
    steps = Steps(page, "password-reset")
    page.goto(f"{idp}/login/")
    page.click("#forgot-password")
    page.fill("input[name=email]", user.email)
    assert serious_violations(page) == []
    page.click("main button[type=submit]")
    page.wait_for_selector("#mail-sent")
    steps.shot("reset-sent")

    follow(page, idp, mailbox.wait_for(user.email).link("/link/reset/"))
    page.fill("input[name=new_password1]", "short")
    page.fill("input[name=new_password2]", "short")
    page.click("main button[type=submit]")
    page.wait_for_selector("[aria-invalid=true]")
    assert serious_violations(page) == []
    steps.shot("reset-too-short")
    page.fill("input[name=new_password1]", PASSPHRASE)
    page.fill("input[name=new_password2]", PASSPHRASE)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{idp}/login/")
    assert "Your password has been changed" in page.inner_text(".notices")
    steps.shot("reset-done")
    sign_in_on_idp(page, user, PASSPHRASE)
    page.wait_for_url(f"{idp}/account/")
    assert "was just changed" in mailbox.wait_for(user.email, 2).text

    follow(page, idp, mailbox.wait_for(user.email).link("/link/reset/"))  # the link again
    assert "This link is not valid" in page.inner_text("h1")


def test_change_address_and_name_from_the_account_page(page, idp, user, password, mailbox):
    steps = Steps(page, "change-address")
    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/account/")
    page.click("#change-email")
    page.fill("input[name=email]", "ada.new@example.org")
    page.fill("input[name=password]", password)
    assert serious_violations(page) == []
    page.click("main button[type=submit]")
    page.wait_for_selector("#mail-sent")

    follow(page, idp, mailbox.wait_for("ada.new@example.org").link("/link/email/"))
    page.click("#confirm")
    page.wait_for_url(f"{idp}/account/")
    assert page.inner_text("#profile-email") == "ada.new@example.org"
    assert page.is_visible("#email-verified")
    assert "was changed" in mailbox.wait_for("ada@example.org").text
    steps.shot("address-changed")

    page.click("#change-name")
    page.fill("input[name=name]", "Ada King")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{idp}/account/")
    assert page.inner_text("#profile-name") == "Ada King"


def test_a_site_requiring_a_verified_address_waits_for_the_link(chromium, marketplace, make_user, password, mailbox):
    PartnerSite.objects.filter(client_id="marketplace").update(require_verified_email=True, first_party=True)
    forget_cached_registry()
    unverified = make_user("new.person@example.org", name="New Person")
    context = chromium.new_context()
    page = context.new_page()
    steps = Steps(page, "verify-first")
    page.goto(marketplace.url)
    page.click("#sign-in")
    sign_in_on_idp(page, unverified, password)
    page.wait_for_selector("#verify-first")
    assert "Skills Marketplace" in page.inner_text("#verify-first")
    assert serious_violations(page) == []
    steps.shot("verify-first")
    page.click("#resend")
    page.wait_for_selector("#mail-sent")

    link = mailbox.wait_for(unverified.email).link("/link/verify/")
    page.go_back()
    mail_tab = context.new_page()  # the link opened from the mail, in a new tab
    follow(mail_tab, marketplace.issuer, link)
    mail_tab.click("#confirm")
    mail_tab.wait_for_url(marketplace.issuer + "/account/")
    mail_tab.close()
    page.click("#continue")
    page.wait_for_url(marketplace.url + "/")
    assert page.inner_text("#signed-in-as") == "Signed in as New Person"
    steps.shot("continued")
    context.close()
