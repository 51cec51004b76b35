"""Signing in to a partner site and allowing it, with the keyboard alone."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector: str, presses: int = 25) -> None:
    """Press Tab until ``selector`` has the focus (a real user's way through the page)."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never took the focus in {presses} presses of Tab")


def test_sign_in_and_consent_with_the_keyboard_alone(page, marketplace, user, password):
    page.goto(marketplace.url)
    tab_to(page, "#sign-in")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=email]")
    assert page.evaluate("() => document.activeElement.name") == "email"  # the form starts where the typing does
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_selector("button[value=allow]")
    tab_to(page, "button[value=allow]")
    page.keyboard.press("Enter")
    page.wait_for_url(marketplace.url + "/**")
    assert "Signed in as" in page.inner_text("#account")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page, marketplace):
    page.goto(marketplace.issuer + "/register/")  # a page nothing on it has focused yet
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#content"
