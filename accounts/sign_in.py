"""Signing a browser in and out of the IdP: the one seam every way in goes through.

A password today; second factors, passkeys and recovery (later issues) call
``sign_in`` with the methods they verified. Django's ``login``/``logout`` still
do their part (a new session key against fixation, the session auth hash,
``last_login``, django-axes' reset on success); the SSO session, which every
partner site's sign-in hangs on, is begun and ended here, not as a side effect
of Django's signals.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpRequest

from accounts.audit import EventType, record_event
from accounts.models import SSOSession, User
from accounts.sessions import EndReason, current_sid, end_sso_session, start_sso_session

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PASSWORD = "pwd"  # RFC 8176 authentication method reference values


def sign_in(request: HttpRequest, user: User, methods: Sequence[str] = (PASSWORD,)) -> SSOSession:
    """Sign ``user``, who has just proved ``methods``, in to this browser: another
    account signed in here is signed out first (everywhere, as its own sign-out
    would); the same account re-authenticating keeps its SSO session with a new
    ``auth_time`` (prompt=login, max_age)."""
    if request.user.is_authenticated and request.user.pk != user.pk:
        sign_out(request)
    # All or nothing: the browser session's row, last_login, the SSO session and its
    # audit event commit together (and a sign-in costs one commit, not three).
    with transaction.atomic():
        login(request, user, backend=MODEL_BACKEND)
        return start_sso_session(request, user, methods)


def sign_out(request: HttpRequest) -> None:
    """End this browser's SSO session everywhere (refresh tokens blacklisted, access
    tokens denied, every partner site told) and its IdP session."""
    user = request.user if request.user.is_authenticated else None
    sid = current_sid(request)
    if user is not None:
        # Only the user's own: a browser session whose sid names another user's SSO
        # session is signed out by SSOSessionMiddleware and must not end theirs.
        sso_session = SSOSession.objects.filter(sid=sid, user=user).first() if sid else None
        if sso_session is not None:
            end_sso_session(sso_session, EndReason.LOGOUT, request=request)
        record_event(EventType.LOGOUT, user=user, request=request, sid=sid or "")
    logout(request)
