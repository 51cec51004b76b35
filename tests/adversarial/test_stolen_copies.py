"""A copy of the database or of Redis opens no session: the session key lives only
in the browser's cookie, the stores hold a keyed digest of it (DESIGN.md section 4)."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def superuser_browser(make_user, password):
    admin = make_user("root@example.org", is_staff=True, is_superuser=True)
    browser = Client()
    assert browser.post(reverse("accounts:login"), {"email": admin.email, "password": password}).status_code == 302
    assert browser.get(reverse("admin:index")).status_code == 200
    return browser


def opens(cookie_value: str) -> dict[str, int]:
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = cookie_value
    return {
        "account": thief.get(reverse("accounts:account")).status_code,
        "admin": thief.get(reverse("admin:index")).status_code,
    }


@pytest.fixture
def sessions_in_the_database(settings):
    settings.SESSION_ENGINE = "accounts.session_engines.db"  # as without Redis


def test_a_session_key_read_from_the_database_opens_nothing(sessions_in_the_database, superuser_browser):
    """The attack: session_key from django_session, sent as the cookie, opened /account/ and /admin/."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM django_session")
        stolen = [row[0] for row in cursor.fetchall()]
    cookie = superuser_browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert stolen and cookie not in stolen  # the table never holds the key itself
    for value in stolen:
        assert opens(value) == {"account": 302, "admin": 302}  # both send the thief to sign in
    assert opens(cookie) == {"account": 200, "admin": 200}  # the real cookie still works


@pytest.mark.redis
def test_a_session_key_read_from_redis_opens_nothing(superuser_browser):
    store = redis.Redis.from_url(settings.REDIS_URL)
    names = [key.decode() for key in store.scan_iter("*session_engines.cache*")]
    cookie = superuser_browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert names and not any(cookie in name for name in names)
    for name in names:
        assert opens(name.rsplit("session_engines.cache", 1)[-1]) == {"account": 302, "admin": 302}
    assert opens(cookie)["account"] == 200
