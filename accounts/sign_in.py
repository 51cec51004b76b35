"""Signing a browser in and out of the IdP: the one seam every way in goes through.

A password today; second factors, passkeys and recovery (later issues) call
``sign_in`` with the methods they verified. Django's ``login``/``logout`` still
do their part (a new session key against fixation, the session auth hash,
django-axes' reset on success); the record of the sign-in (``last_login``, the
SSO session every partner site's sign-in hangs on, its audit event) is written
here, in one write (``accounts.store``), so Django's own ``update_last_login``
receiver, which would write ``last_login`` a second time, is disconnected
(``AccountsConfig.ready``). Nothing here is a side effect of a signal.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import login, logout
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
    login(request, user, backend=MODEL_BACKEND)
    return start_sso_session(request, user, methods)  # last_login, the SSO session, its audit event: one write


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
