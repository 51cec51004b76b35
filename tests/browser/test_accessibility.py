"""Every page of the IdP and of a partner site passes axe-core (WCAG 2.1 A and AA) with no
violation of serious or critical impact, on a desktop and on a phone, with and without
form errors, in light and dark mode; the main screens are left as screenshots in
test-artifacts/screens-<size>/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, serious_violations, with_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.mark.parametrize(
    ("name", "size", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("phone-dark", PHONE, "dark")],
    ids=["desktop", "phone", "phone-dark"],
)
def test_every_page_passes_axe_without_serious_violations(
    chromium, marketplace, user, password, mailbox, name, size, scheme
):
    context = with_axe(chromium.new_context(viewport=size, color_scheme=scheme))
    page = context.new_page()
    folder = ARTIFACTS / f"screens-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}

    def check(label: str) -> None:
        page.wait_for_load_state()
        found[label] = serious_violations(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > size["width"]:
            found[label].append(f"horizontal scrolling: {width} px wide in a {size['width']} px window")
        page.screenshot(path=str(folder / f"{len(found):02d}-{label}.png"), full_page=True)

    idp = marketplace.issuer
    page.goto(marketplace.url)
    check("partner-signed-out")
    page.click("#sign-in")
    page.wait_for_selector("input[name=email]")
    check("idp-sign-in")
    page.click("main button[type=submit]")
    check("idp-sign-in-errors")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "not the password")
    page.click("main button[type=submit]")
    check("idp-sign-in-wrong-password")
    page.click("#create-account")
    check("idp-register")
    page.fill("input[name=email]", "not an address")
    page.fill("input[name=password]", "short")
    page.click("main button[type=submit]")
    check("idp-register-errors")

    page.click("main a:has-text('Sign in')")  # back to signing in, still on the way to the site
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("button[value=allow]")
    check("idp-consent")
    page.click("button[value=allow]")
    page.wait_for_url(marketplace.url + "/**")
    check("partner-signed-in")
    page.click("a[href^='/items/']")
    check("partner-item")
    page.goto(marketplace.url + "/mine/")
    check("partner-mine")

    for label, path in [
        ("idp-account", "/account/"),
        ("idp-password", "/account/password/"),
        ("idp-sign-out-everywhere", "/account/sessions/end-all/"),
        ("idp-already-signed-in", "/login/"),
        ("idp-sign-out-confirm", "/logout/"),
        ("idp-not-found", "/no-such-page/"),
        ("idp-change-email", "/account/email/"),
        ("idp-change-name", "/account/name/"),
        ("idp-two-factor", "/account/two-factor/"),
        ("idp-set-up-app", "/account/two-factor/app/"),
        ("idp-export", "/account/data/"),
        ("idp-delete-account", "/account/delete/"),
        ("idp-account-deleted", "/account/deleted/"),
        ("idp-link-refused", "/link/reset/not-a-token/"),
        ("idp-confirm-address", "/link/verify/a-token/"),
    ]:
        page.goto(idp + path)
        check(label)
    page.goto(idp + "/account/email/")
    page.fill("input[name=email]", "not an address")
    page.click("main button[type=submit]")
    check("idp-change-email-errors")
    page.goto(idp + "/account/data/")
    page.fill("input[name=password]", password)
    page.click("#view")
    check("idp-export-view")
    page.goto(idp + "/account/delete/")
    page.click("#erase")
    check("idp-delete-account-errors")
    page.goto(idp + "/account/")
    page.click("#resend")
    check("idp-mail-sent")
    page.goto(idp + "/account/password/")
    page.fill("input[name=old_password]", "wrong")
    page.click("main button[type=submit]")
    check("idp-password-errors")

    page.goto(marketplace.url)
    page.click("text=Sign out")
    page.wait_for_url(marketplace.url + "/signed-out/**")
    check("partner-signed-out-page")
    page.goto(idp + "/logout/")
    check("idp-signed-out")
    page.goto(idp + "/signed-out/?everywhere=1")
    check("idp-signed-out-everywhere")
    page.goto(idp + "/password/forgot/")
    check("idp-forgot-password")
    page.click("main button[type=submit]")
    check("idp-forgot-password-errors")
    page.fill("input[name=email]", user.email)
    page.click("main button[type=submit]")
    check("idp-reset-sent")
    page.goto(idp + mailbox.wait_for(user.email, 2).link("/link/reset/"))
    check("idp-choose-password")
    context.close()

    assert {label: problems for label, problems in found.items() if problems} == {}
    assert len(found) == 37


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_admin_pages_the_product_changes_pass_axe(chromium, live_server, make_user, password, user, size):
    staff = make_user("root@example.org", is_staff=True, is_superuser=True)
    page = with_axe(chromium.new_context(viewport=size)).new_page()
    page.goto(live_server.url + "/admin/")  # through the IdP's own sign-in page
    page.fill("input[name=email]", staff.email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    found = {}
    change = f"/admin/accounts/user/{user.pk}/change/"
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        change,
        "/admin/accounts/auditevent/",
        "/admin/accounts/ssosession/",
        f"/admin/accounts/user/{user.pk}/delete/",
    ]:
        page.goto(live_server.url + path)
        found[path] = serious_violations(page)
    page.goto(live_server.url + change)
    page.click("#reveal-pii")
    page.wait_for_url(live_server.url + change)
    assert user.email in page.content()
    found[change + " revealed"] = serious_violations(page)
    page.fill("input[name=email]", "not an address")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    found[change + " with errors"] = serious_violations(page)
    if size is DESKTOP:  # the lists fit a 1280 px screen
        for path in ["/admin/accounts/user/", "/admin/accounts/auditevent/", "/admin/accounts/ssosession/"]:
            page.goto(live_server.url + path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            found[path + " width"] = [] if width <= size["width"] else [f"{width} px wide"]
    assert {label: problems for label, problems in found.items() if problems} == {}
