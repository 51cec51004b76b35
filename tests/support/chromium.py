"""Debian's Chromium driven by Playwright, for the browser tests of every folder."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.conftest import CHROMIUM


@pytest.fixture(scope="module")
def _chromium_of_the_module():
    """One browser for a module's tests (started once, not once a test): each test gets it
    without pages, and opens contexts of its own, so no cookie or storage crosses tests."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop in this thread while it runs; the ORM calls
        # the tests themselves make stay synchronous (Django's documented escape hatch).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def chromium(_chromium_of_the_module):
    browser = _chromium_of_the_module
    yield browser
    for context in browser.contexts:  # what the test left open: no page of it polls on into the next
        context.close()
    # ORM calls made while Playwright's event loop runs use connections of that
    # context (asgiref's Local); close them here, or one outlives the test.
    connections.close_all()
