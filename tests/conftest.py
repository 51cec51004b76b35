"""Shared fixtures, and the rule that in CI (CI=true) nothing that needs
PostgreSQL, Redis or Chromium may be skipped: a skip there fails the run."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import caches

IN_CI = os.environ.get("CI", "").lower() == "true"

pytest_plugins = [
    "tests.support.oauth",
    "tests.support.exchange",
    "tests.support.partner_fixtures",
    "tests.support.smtp",
    "tests.support.chromium",
]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing_requirement(item) -> str | None:
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM}"
    if item.get_closest_marker("cluster") and not shutil.which("haproxy", path=f"{os.environ['PATH']}:/usr/sbin"):
        return "needs HAProxy (Debian package haproxy) and PostgreSQL and Redis"
    return None


def pytest_runtest_setup(item):
    reason = _missing_requirement(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but this test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI=true: {skipped} test(s) skipped; a skip in CI is a failure", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Login-failure counters and cached state must not leak between tests.

    A database cache needs no clearing: its rows roll back with the test.
    """
    from accounts.oauth.keyring import forget_cached_ring
    from accounts.oauth.registry import forget_cached_registry

    for alias, config in settings.CACHES.items():
        if not config["BACKEND"].endswith("db.DatabaseCache"):
            caches[alias].clear()
    forget_cached_registry()  # also the per-process copies of partner sites
    forget_cached_ring()  # the signing keys are rows of the test's database, which it rolls back
    yield


@pytest.fixture
def password() -> str:
    return "correct horse battery staple 42"


@pytest.fixture
def make_user(db, password):
    from accounts.models import User

    counter = iter(range(1, 1_000_000))

    def make(email: str | None = None, *, name: str = "Ada Lovelace", **extra) -> User:
        email = email or f"person{next(counter)}@example.org"
        return User.objects.create_user(email, password, name=name, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user("ada@example.org", name="Ada Lovelace")


@pytest.fixture
def browser(user, password):
    """A browser signed in to the IdP as ``user``."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    assert client.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    return client
