"""Brute-force protection: django-axes' hooks, with a policy that no bystander pays for.

Failures are counted three ways (OWASP ASVS V2.2.1; RFC 9700 has nothing
kinder to say about guessing):

- per account and network pair: that pair is locked after LOGIN_FAILURE_LIMIT
  failures, for LOGIN_LOCKOUT_MINUTES. Someone else on the same network (behind
  a carrier-grade NAT, a whole city) still signs in to their own account;
- per account, from every network: past the same limit every further failure
  doubles a delay before the account's next attempt is heard (one second, two,
  four, up to the lockout period), so guessing from many networks stays slow
  without anyone being able to lock the owner out;
- per network, over every account: throttled at the much higher
  LOGIN_NETWORK_FAILURE_LIMIT, so spraying one password across many accounts
  stops too.

A successful sign-in clears only its own pair's counter. Axes is handed the
blind index instead of the typed email and the reduced network identifier
instead of the address, and every cache key is a hash of them: no counter,
key or log line carries personal data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_credentials
from axes.signals import user_locked_out
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.counting import count_attempt
from accounts.network import network_id
from accounts.pii.blind_index import email_index

MESSAGES = {
    "pair": _(
        "Too many failed sign-in attempts to this account from your network. Signing in to it from here "
        "is paused for {minutes} minutes; please try again later."
    ),
    "network": _(
        "Too many failed sign-in attempts from your network. Signing in from here is paused for "
        "{minutes} minutes; please try again later."
    ),
    "account": _(
        "This account has had many failed sign-in attempts. Please wait a moment (about {seconds} s) "
        "before trying again."
    ),
}


def username_for_lockout(request: HttpRequest, credentials: dict | None) -> str | None:
    credentials = credentials or {}
    email = credentials.get("email") or credentials.get("username")
    if email is None and request is not None and request.method == "POST":
        email = request.POST.get("email") or request.POST.get("username")
    return email_index(email) if email else None


def client_network_id(request: HttpRequest) -> str:
    return network_id(request)


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    return f"{{network: {ip_address!r}, path: {path_info!r}}}"


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    reason, retry_after = getattr(request, "lockout_reason", None) or "pair", getattr(request, "lockout_retry_after", 0)
    cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = str(MESSAGES[reason]).format(minutes=cooloff // 60, seconds=max(1, retry_after))
    response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(max(1, retry_after) if reason == "account" else cooloff)
    return response


def _key(kind: str, *parts: str) -> str:
    # Keyed: a reduced network alone is few enough values to be guessed from an unkeyed hash.
    return f"lockout:{kind}:" + salted_hmac("accounts.lockout", "\x00".join(parts), algorithm="sha256").hexdigest()[:40]


@dataclass(frozen=True)
class Counters:
    pair: str | None  # failures of this account from this network
    account: str | None  # failures of this account from anywhere
    slow: str | None  # present while the account's next attempt must wait
    network: str  # failures from this network against any account

    @classmethod
    def of(cls, request: HttpRequest, credentials: dict | None) -> "Counters":
        account = username_for_lockout(request, credentials)
        network = request.axes_ip_address or ""
        if account is None:
            return cls(None, None, None, _key("network", network))
        return cls(
            _key("pair", account, network), _key("account", account), _key("slow", account), _key("network", network)
        )


def account_delay_seconds(account_failures: int) -> int:
    """The wait before an account's next attempt, once its failures reach the limit."""
    over = account_failures - settings.LOGIN_FAILURE_LIMIT
    return min(2**over, int(settings.AXES_COOLOFF_TIME.total_seconds()))


class PairLockoutHandler(AxesCacheHandler):
    """django-axes' cache handler with the policy above. The check before each
    password is one MGET; a failure is counted with INCR; a success deletes at
    most its pair's counter, and nothing when the check found none."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        counters = Counters.of(request, credentials)
        keys = [key for key in (counters.pair, counters.network, counters.slow) if key]
        found = self.cache.get_many(keys)
        request.lockout_pair_seen = bool(counters.pair and found.get(counters.pair))
        reason = None
        if counters.pair and found.get(counters.pair, 0) >= settings.LOGIN_FAILURE_LIMIT:
            reason = "pair"
        elif found.get(counters.network, 0) >= settings.LOGIN_NETWORK_FAILURE_LIMIT:
            reason = "network"
        elif counters.slow and counters.slow in found:
            reason = "account"
            request.lockout_retry_after = max(1, int(found[counters.slow] - time.time() + 0.999))
        request.lockout_reason = reason
        return reason is not None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counters = Counters.of(request, credentials)
        return self.cache.get(counters.pair, 0) if counters.pair else 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return
        request.axes_credentials = credentials
        if request.axes_locked_out:
            # Refused before any password check: not counted (the owner waiting out a
            # delay must not lengthen it), but audited.
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)
            return
        counters = Counters.of(request, credentials)
        cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds())
        network_failures = count_attempt(self.cache, counters.network, cooloff)
        pair_failures = count_attempt(self.cache, counters.pair, cooloff) if counters.pair else 0
        if counters.account:
            account_failures = count_attempt(self.cache, counters.account, cooloff)
            if account_failures >= settings.LOGIN_FAILURE_LIMIT:
                delay = account_delay_seconds(account_failures)
                self.cache.set(counters.slow, time.time() + delay, delay)
        if pair_failures >= settings.LOGIN_FAILURE_LIMIT or network_failures >= settings.LOGIN_NETWORK_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.lockout_reason = "pair" if pair_failures >= settings.LOGIN_FAILURE_LIMIT else "network"
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender, request, user, **kwargs):
        # Only this pair's counter: a success of the attacker's own account must not
        # wipe what the network or the account counted.
        counters = Counters.of(request, get_credentials(user.get_username()))
        if counters.pair and getattr(request, "lockout_pair_seen", True):
            self.cache.delete(counters.pair)


def clear_account_counters(request: HttpRequest, user) -> None:
    """After the owner proved the mailbox (a password reset): the account's failures
    from everywhere, its delay, and its lock from the network the reset came from
    go. A lock of the account from another network (an attacker's) runs out on its own."""
    from axes.helpers import get_cache

    account = email_index(user.email)
    network = network_id(request)
    get_cache().delete_many([_key("account", account), _key("slow", account), _key("pair", account, network)])
