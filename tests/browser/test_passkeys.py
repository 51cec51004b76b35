"""Passkeys in Chromium with the DevTools virtual authenticator: registered from the account
page, used to sign in without a password and as the second step after one; refused once
removed, from another origin, and when the signature counter goes back."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Passkey, SSOSession
from tests.browser.conftest import serious_violations
from tests.browser.test_sso import Steps, sign_in_on_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page, *, user_verified: bool = True) -> str:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": user_verified,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page._cdp = cdp  # kept alive with the page
    return added["authenticatorId"]


def add_passkey(page, idp: str, password: str, name: str) -> None:
    page.goto(f"{idp}/account/two-factor/")
    page.fill("#passkey-name", name)
    page.fill("#passkey-password", password)
    page.click("#add-passkey")


def test_register_sign_in_without_password_and_remove(chromium, idp, user, password):
    context = chromium.new_context()
    # The button's ceremony, not autofill's: with autofill on, the virtual authenticator may answer
    # the login page's conditional ceremony before the click, and the click then finds no button.
    context.add_init_script("delete PublicKeyCredential.isConditionalMediationAvailable")
    page = context.new_page()
    steps = Steps(page, "passkeys")
    virtual_authenticator(page)
    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/account/")

    add_passkey(page, idp, password, "Laptop")
    page.wait_for_selector("#passkey-codes:not([hidden])")  # the first second factor: recovery codes once
    assert page.locator("#recovery-codes li").count() == 10
    steps.shot("passkey-added")
    page.click("#codes-kept")
    assert "Laptop" in page.inner_text("#passkeys")
    assert serious_violations(page) == []
    passkey = Passkey.objects.get(user=user)
    assert passkey.name == "Laptop" and passkey.sign_count >= 0

    page.click("#account form button[type=submit]")  # sign out
    page.goto(f"{idp}/login/")
    assert page.get_attribute("input[name=email]", "autocomplete") == "username webauthn"
    page.click("#passkey-sign-in")
    page.wait_for_url(f"{idp}/account/")
    steps.shot("signed-in-with-passkey")
    session = SSOSession.objects.filter(user=user, ended_at__isnull=True).latest("started_at")
    assert session.auth_methods.split()[1:] == ["user", "mfa"]  # verified by the authenticator: two factors
    assert session.auth_methods.split()[0] in ("hwk", "swk")
    assert Passkey.objects.get(pk=passkey.pk).last_used_at is not None

    page.goto(f"{idp}/account/two-factor/")
    page.fill(f"#remove-passkey-{passkey.pk}", password)
    page.click(f"#passkeys form[action$='/{passkey.pk}/remove/'] button")
    page.wait_for_selector("#passkeys .empty")
    page.click("#account form button[type=submit]")
    page.goto(f"{idp}/login/")
    page.click("#passkey-sign-in")  # the authenticator still holds it; the IdP no longer knows it
    page.wait_for_selector("[data-passkey-error]:not([hidden])")
    assert "not accepted" in page.inner_text("[data-passkey-error]")
    assert AuditEvent.objects.filter(event_type="passkey_refused").exists()
    context.close()


def test_a_passkey_as_the_second_step_and_refusals(chromium, idp, user, password, settings):
    context = chromium.new_context()
    # A browser without passkey autofill: the virtual authenticator would answer the sign-in
    # page's autofill ceremony at once, and this test signs in with the password first.
    context.add_init_script("delete PublicKeyCredential.isConditionalMediationAvailable")
    page = context.new_page()
    virtual_authenticator(page)
    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/account/")
    add_passkey(page, idp, password, "Phone")
    page.wait_for_selector("#passkey-codes:not([hidden])")
    page.click("#account form button[type=submit]")

    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/login/second-factor/")
    page.click("#passkey-sign-in")
    page.wait_for_url(f"{idp}/account/")
    session = SSOSession.objects.filter(user=user, ended_at__isnull=True).latest("started_at")
    assert session.auth_methods.split()[0] == "pwd" and session.auth_methods.split()[-1] == "mfa"

    passkey = Passkey.objects.get(user=user)
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=passkey.sign_count + 1000)  # as if a clone had run ahead
    page.click("#account form button[type=submit]")
    page.goto(f"{idp}/login/")
    page.click("#passkey-sign-in")
    page.wait_for_selector("[data-passkey-error]:not([hidden])")
    assert AuditEvent.objects.filter(event_type="passkey_sign_count_regressed", user=user).count() == 1

    Passkey.objects.filter(pk=passkey.pk).update(sign_count=0)
    settings.SSO = {**settings.SSO, "ISSUER": idp.replace("localhost", "localhost.localdomain")}  # another origin
    page.goto(f"{idp}/login/")
    page.click("#passkey-sign-in")
    page.wait_for_selector("[data-passkey-error]:not([hidden])")
    assert not SSOSession.objects.filter(user=user, ended_at__isnull=True).exists()
    context.close()
