"""The PostgreSQL backend's health-check bypass (sso_project/postgresql), on a
real persistent connection of its own."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.utils import load_backend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def persistent():
    wrapper = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
        {**connection.settings_dict, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}, alias="persistent")
    checks = []
    real_is_usable = wrapper.is_usable

    def counted_is_usable():
        checks.append(True)
        return real_is_usable()

    wrapper.is_usable = counted_is_usable
    wrapper.checks = checks
    yield wrapper
    wrapper.close()


def request(wrapper, sql: str = "SELECT pg_backend_pid()"):
    """What Django does around one request that queries the database."""
    wrapper.close_if_unusable_or_obsolete()  # request_started
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        wrapper.close_if_unusable_or_obsolete()  # request_finished


def test_a_connection_proven_moments_ago_is_not_checked_again(persistent):
    first = request(persistent)
    second = request(persistent)
    assert first == second  # the same persistent connection
    assert persistent.checks == []


def test_a_connection_idle_past_the_window_is_checked(persistent, monkeypatch):
    request(persistent)
    monkeypatch.setattr(persistent, "ALIVE_BYPASS_SECONDS", 0.0)
    request(persistent)
    assert persistent.checks == [True]


def test_a_connection_broken_inside_the_window_fails_one_request_then_recovers(persistent):
    pid = request(persistent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(OperationalError):
        request(persistent)
    assert persistent.connection is None  # closed at the end of the failed request
    assert request(persistent) != pid
