from __future__ import annotations

import time

import pyotp
import pytest
from django.urls import reverse

from accounts.factors import recovery, totp
from accounts.models import TOTPAuthenticator


class Clock:
    """The time the test's authenticator app shows, and the server believes (one clock)."""

    def __init__(self, monkeypatch):
        self.now = time.time()
        monkeypatch.setattr(totp.time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def app_user(user, clock):
    """``user`` with an authenticator app set up and recovery codes (``user.codes``)."""
    device = totp.pending_authenticator(user)
    assert totp.verify_code(user, pyotp.TOTP(device.secret).at(clock.now), confirming=True)
    clock.advance(30)
    user.codes = recovery.new_recovery_codes(user)
    return user


def code_now(user, clock) -> str:
    return pyotp.TOTP(TOTPAuthenticator.objects.get(user=user).secret).at(clock.now)


def sign_in_with_password(client, user, password, **params):
    return client.post(reverse("accounts:login") + params.pop("query", ""), {"email": user.email, "password": password})
