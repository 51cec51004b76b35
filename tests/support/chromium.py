"""Debian's Chromium driven by Playwright, for the browser tests of every folder."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.conftest import CHROMIUM


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls
    # the test itself makes stay synchronous (Django's documented escape hatch).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
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
        # ORM calls made while Playwright's event loop runs use connections of that
        # context (asgiref's Local); close them here, or one outlives the test run.
        connections.close_all()
