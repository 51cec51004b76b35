"""With Redis configured, login-failure counters live in Redis and hold no PII."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.urls import reverse

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def test_failure_counters_are_in_redis_under_opaque_keys(client, user, password):
    store = redis.Redis.from_url(settings.REDIS_URL)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"email": user.email, "password": "wrong password here"},
            REMOTE_ADDR="198.51.100.23",
        )

    keys = [k for k in store.scan_iter("*lockout:*")]
    counters = sorted(int(store.get(k)) for k in keys if b":slow:" not in k)
    # the account and network pair, the account from anywhere, the network against any account
    assert counters == [settings.LOGIN_FAILURE_LIMIT] * 3
    assert len([k for k in keys if b":slow:" in k]) == 1  # the account's next attempt waits
    dump = b" ".join(keys + [store.get(k) for k in keys]).lower()
    # Whole values, not fragments: a short fragment such as "ada" turns up in a hex digest by chance.
    for secret in (user.email.encode(), b"lovelace", b"198.51.100.23"):
        assert secret.lower() not in dump

    # The lockout is shared state: a second process (another client) sees it too.
    assert client.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 429
