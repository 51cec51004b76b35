"""django-axes hooks that keep brute-force protection free of plaintext PII.

Axes counts failures per "username" and per IP address. We hand it the blind
index instead of the typed email and the reduced network identifier instead
of the address, so its cache keys and log lines carry no personal data.
"""

from __future__ import annotations

from axes.conf import settings as axes_settings
from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_cache_keys, get_credentials
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.network import network_id
from accounts.pii.blind_index import email_index

LOCKOUT_MESSAGE = (
    "Too many failed sign-in attempts. Sign-in is paused for this account and "
    "this network for {minutes} minutes; please try again later."
)


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
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/locked_out.html",
        {"message": LOCKOUT_MESSAGE.format(minutes=minutes)},
        status=429,
    )


class BatchedCacheHandler(AxesCacheHandler):
    """django-axes' cache handler, reading and clearing a client's counters in
    one cache round trip each, and clearing only what there is to clear.

    Axes keeps one counter per lockout parameter (the account's blind index,
    the network). Its handler reads them one ``GET`` at a time before every
    password check, and after every successful login reads each again (for a
    log line) before deleting it: six Redis round trips on every login. Here the
    check is one ``MGET``, and a login whose check found no counter deletes
    nothing; otherwise one ``DEL``. Failures are counted as before. (A failure
    counted by a concurrent request after the check stays counted.)
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        keys = get_client_cache_keys(request, credentials)
        found = self.cache.get_many(keys)
        seen = getattr(request, "axes_counters_seen", {})
        request.axes_counters_seen = {**seen, **{key: found.get(key, 0) for key in keys}}
        return max(found.values(), default=0)

    def user_logged_in(self, sender, request, user, **kwargs):
        if not axes_settings.AXES_RESET_ON_SUCCESS:
            return
        keys = get_client_cache_keys(request, get_credentials(user.get_username()))
        seen = getattr(request, "axes_counters_seen", {})
        counted = [key for key in keys if seen.get(key, 1)]  # a key not checked this request may hold failures
        if counted:
            self.cache.delete_many(counted)
