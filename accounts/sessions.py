"""SSO sessions: started at sign-in (accounts.sign_in), ended by logout, by the user from
the account page, by a password change, or by an administrator.

The IdP's browser session carries the ``sid`` (``request.session[SID_KEY]``);
``SSOSessionMiddleware`` signs the browser out as soon as its SSO session has
ended, wherever it was ended from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import outbox, store
from accounts.audit import EventType, record_event
from accounts.devices import describe_device
from accounts.joined_rows import JoinedRead, Part
from accounts.models import OutboxMessage, SSOSession, User
from accounts.network import network_id
from accounts.oauth import backchannel, denylist
from accounts.privacy.security_events import queue_account_event

SID_KEY = "sso_sid"

# Sent inside the transaction that ends an SSO session, so that what other
# apps hang on the session (device secrets) ends with it, atomically.
sso_session_ended = Signal()
LAST_USED_RESOLUTION = timedelta(minutes=1)

EndReason = SSOSession.EndReason


def start_sso_session(request: HttpRequest, user: User, methods: Sequence[str]) -> SSOSession:
    """Begin an SSO session for a browser just signed in (``accounts.sign_in``), or
    renew ``auth_time`` when the browser's live session of the same user
    re-authenticated (prompt=login, max_age); either way with the user's
    ``last_login`` and a ``login_success`` audit event, written with it."""
    sid = current_sid(request)
    existing = SSOSession.objects.active().filter(sid=sid, user=user).first() if sid else None
    now = timezone.now()
    if existing is not None:
        with transaction.atomic():
            existing.auth_time, existing.auth_methods = now, " ".join(methods)
            existing.save(update_fields=["auth_time", "auth_methods"])
            User.objects.filter(pk=user.pk).update(last_login=now)
            record_event(
                EventType.LOGIN_SUCCESS,
                user=user,
                request=request,
                sid=existing.sid,
                occurred_at=now,
                methods=list(methods),
            )
        return existing
    session = SSOSession(
        user=user,
        network_id=network_id(request),
        auth_methods=" ".join(methods),
        device=describe_device(request.META.get("HTTP_USER_AGENT", "")),
    )
    store.current().insert_sso_session(session, now)
    user.last_login = now
    request.session[SID_KEY] = session.sid
    return session


def active_sso_session(request: HttpRequest) -> SSOSession | None:
    if not request.user.is_authenticated:
        return None
    checked = getattr(request, "sso_session", None)  # found live by SSOSessionMiddleware this request
    if checked is not None:
        return checked
    sid = current_sid(request)
    return (
        SSOSession.objects.active().select_related("user").filter(sid=sid, user=request.user).first() if sid else None
    )


def blacklist_session_refresh_tokens(sso_session: SSOSession) -> int:
    """simplejwt blacklist entries for every refresh token the session still has."""
    outstanding = OutstandingToken.objects.filter(sso_record__sso_session=sso_session, blacklistedtoken__isnull=True)
    entries = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


def current_sid(request: HttpRequest) -> str | None:
    return request.session.get(SID_KEY)


def end_sso_session(
    sso_session: SSOSession,
    reason: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """End one SSO session everywhere (DESIGN.md section 5); False if it had already ended.

    In one transaction with the session row locked (of two concurrent calls
    exactly one ends it): the session is marked ended, which signs out every
    IdP browser session bound to it; its refresh tokens are blacklisted; one
    back-channel logout per partner site it touched is queued;
    ``sso_session_ended`` lets other apps revoke what they bound to it. After commit,
    its sid joins the access-token deny-list and the logouts are sent.
    """
    with transaction.atomic():
        locked = SSOSession.objects.select_for_update().get(pk=sso_session.pk)
        if locked.ended_at is not None:
            return False
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "end_reason"])
        blacklist_session_refresh_tokens(locked)
        deliveries = backchannel.queue_logout_deliveries(locked)
        sso_session_ended.send(sender=SSOSession, sso_session=locked, reason=reason)
        event = EventType.ADMIN_TERMINATED_SESSION if actor is not None else EventType.SESSION_ENDED
        record_event(event, user=locked.user, actor=actor, sid=locked.sid, request=request, reason=reason)
        transaction.on_commit(lambda: _after_session_ended(locked.sid, deliveries))
    sso_session.ended_at, sso_session.end_reason = locked.ended_at, locked.end_reason
    return True


def _after_session_ended(sid: str, delivery_ids: list[int]) -> None:
    denylist.deny_session(sid)
    for delivery_id in delivery_ids:
        outbox.attempt_delivery(delivery_id)  # failures stay queued for deliver_logouts


_credential_change: ContextVar[HttpRequest | None] = ContextVar("credential_change", default=None)


@contextmanager
def changing_credentials(request: HttpRequest) -> Iterator[None]:
    """A password or ``is_active`` saved inside this block was changed by ``request``'s
    user: audited as the actor where it is someone else's account, and where it is
    their own password, their current session stays."""
    token = _credential_change.set(request)
    try:
        yield
    finally:
        _credential_change.reset(token)


def end_sessions_for_credential_change(user: User, *, disabled: bool) -> int:
    """Any change of the password hash, or an account disabled, by any path, ends every
    SSO session of the user as "sign out everywhere" does (RFC 9700 section 4.14.2;
    DESIGN.md section 5); a user changing their own password keeps the session they
    changed it from. The sites registered for it hear of a disabled account by an
    ``account-disabled`` Security Event Token."""
    request = _credential_change.get()
    actor = request.user if request is not None and request.user.is_authenticated else None
    own = actor is not None and actor.pk == user.pk
    kept = current_sid(request) if own and not disabled else None
    reason = EndReason.ACCOUNT_DISABLED if disabled else EndReason.PASSWORD_CHANGED
    ended = end_user_sessions(user, reason, except_sid=kept, request=request)
    record_event(
        EventType.ACCOUNT_DISABLED if disabled else EventType.PASSWORD_CHANGE,
        user=user,
        actor=None if own else actor,
        request=request,
        sid=kept or "",
        sessions_ended=ended,
    )
    if disabled:
        outbox.attempt_after_commit(queue_account_event(user, OutboxMessage.Kind.ACCOUNT_DISABLED))
    return ended


def end_user_sessions(
    user: User, reason: str, *, except_sid: str | None = None, request: HttpRequest | None = None
) -> int:
    """End every active SSO session of ``user`` (but ``except_sid``); returns how many."""
    sessions = SSOSession.objects.active().filter(user=user)
    if except_sid:
        sessions = sessions.exclude(sid=except_sid)
    return sum(end_sso_session(session, reason, request=request) for session in sessions)


_SESSION = Part.of(SSOSession, "s")
_LIVE_BY_SID = JoinedRead([_SESSION], f"FROM {_SESSION.table} WHERE s.sid = %s AND s.ended_at IS NULL")


def live_sso_session(sid: str) -> SSOSession | None:
    """The live SSO session ``sid``, or None; records its use at a one-minute resolution."""
    found = _LIVE_BY_SID.fetch([sid])
    if found is None:
        return None
    session = found[0]
    now = timezone.now()
    if now - session.last_used_at > LAST_USED_RESOLUTION:
        SSOSession.objects.filter(pk=session.pk).update(last_used_at=now)
        session.last_used_at = now
    return session
