"""An authenticator app set up and used in Chromium, with codes the test computes; a
partner site asking for a second factor through acr_values gets a code only after it."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.browser.conftest import serious_violations
from tests.browser.test_sso import Steps, sign_in_on_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_code(secret: str, after: float = 0) -> tuple[str, float]:
    """A code from a time step after ``after``'s, so none is used twice: the current step's, or
    the next one's as an app whose clock runs ahead shows it (the one step of drift the IdP
    allows), waiting only for a step further ahead than that."""
    step = max(int(after // 30) + 1, int(time.time() // 30))
    while step > int(time.time() // 30) + 1:
        time.sleep(0.2)
    return pyotp.TOTP(secret).at(step * 30), step * 30


def test_set_up_an_app_and_sign_in_with_its_code_and_a_recovery_code(chromium, idp, user, password):
    context = chromium.new_context()
    page = context.new_page()
    steps = Steps(page, "second-factor")
    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/account/")
    page.click("#two-factor")
    page.click("#set-up-app")
    secret = page.inner_text("#totp-secret")
    assert page.locator("figure.qr svg").count() == 1
    assert serious_violations(page) == []
    steps.shot("set-up")
    code, used_at = pyotp.TOTP(secret).now(), time.time()
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    assert serious_violations(page) == []
    steps.shot("recovery-codes")
    page.click("#codes-kept")
    page.goto(f"{idp}/account/two-factor/")
    assert page.is_visible("#two-factor-on")
    assert serious_violations(page) == []
    context.close()

    context = chromium.new_context()
    page = context.new_page()
    steps.page = page
    page.goto(f"{idp}/account/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/login/second-factor/")
    assert serious_violations(page) == []
    steps.shot("second-step")
    page.fill("input[name=code]", code)  # the code that set the app up: used, refused
    page.click("main button[type=submit]")
    assert "already used" in page.inner_text("main")
    code, used_at = next_code(secret, used_at)
    page.fill("input[name=code]", code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{idp}/account/")
    context.close()

    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{idp}/login/")
    sign_in_on_idp(page, user, password)
    page.wait_for_url(f"{idp}/login/second-factor/")
    page.fill("input[name=code]", codes[0])
    page.click("main button[type=submit]")
    page.wait_for_url(f"{idp}/account/")
    assert "recovery code" in page.inner_text(".notices")
    context.close()


def test_a_partner_page_asking_acr_values_for_mfa_gets_in_only_after_the_second_factor(
    chromium, marketplace, user, password
):
    from accounts.models import TOTPAuthenticator

    context = chromium.new_context()
    page = context.new_page()
    steps = Steps(page, "partner-step-up")
    page.goto(marketplace.url)
    page.click("#sign-in")
    sign_in_on_idp(page, user, password)  # the password alone: the account has no app yet
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(marketplace.url + "/")

    page.goto(marketplace.url + "/security/")  # acr_values=mfa: the IdP can ask nothing more of this user
    page.wait_for_selector("#needs-factor")
    steps.shot("needs-a-factor")

    secret = pyotp.random_base32()
    TOTPAuthenticator.objects.create(user=user, secret=secret, confirmed_at="2026-01-01T00:00:00Z")
    page.goto(marketplace.url + "/security/")
    page.wait_for_url(marketplace.issuer + "/login/second-factor/")  # step-up: no password again
    steps.shot("idp-step-up")
    code, _ = next_code(secret)
    page.fill("input[name=code]", code)
    page.click("main button[type=submit]")
    page.wait_for_url(marketplace.url + "/security/")
    assert page.inner_text("#acr") == "urn:privacy-sso:acr:mfa"
    assert page.inner_text("#amr") == "pwd otp mfa"
    assert serious_violations(page) == []
    steps.shot("stepped-up")
    context.close()
