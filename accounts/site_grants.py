"""Ending one site's grant while the SSO session itself goes on.

A user withdrawing consent, an administrator disabling a site, a replayed
authorization code (RFC 6749 section 4.1.2) and a revoked refresh token
(RFC 7009 section 2.1) all end what one site holds in one or more SSO sessions:
its refresh tokens are blacklisted, its access tokens refused (``EndedGrant``,
cached), what other apps bound to the grant revoked (``site_grant_ended``:
device secrets), the session's link to the site dropped, and, where the site
did not ask for it itself, a back-channel logout queued for each session it
was signed in to. Other sites stay signed in. Signing in to the site again
starts a new grant.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import outbox
from accounts.audit import EventType, record_event
from accounts.models import EndedGrant, PartnerSite, RefreshTokenRecord, SessionSite, SSOSession
from accounts.oauth import backchannel, denylist

# Sent inside the ending transaction, with ``site`` and ``sso_sessions``.
site_grant_ended = Signal()


class GrantEndReason:
    CONSENT_WITHDRAWN = "consent_withdrawn"
    SITE_DISABLED = "site_disabled"
    AUTHORIZATION_CODE_REUSE = "authorization_code_reuse"
    REFRESH_TOKEN_REVOKED = "refresh_token_revoked"


def end_site_grant(
    site: PartnerSite,
    sso_sessions: Iterable[SSOSession],
    reason: str,
    *,
    notify: bool,
    request: HttpRequest | None = None,
) -> int:
    """End ``site``'s grant in each live session of ``sso_sessions``, in one transaction;
    returns how many sessions it reached. ``notify``: tell the site by back-channel logout."""
    sessions = [session for session in sso_sessions if session.ended_at is None]
    if not sessions:
        return 0
    now = timezone.now()
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(
            sso_record__site=site, sso_record__sso_session__in=sessions, blacklistedtoken__isnull=True
        )
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
        EndedGrant.objects.bulk_create(
            [EndedGrant(sso_session=session, site=site, ended_at=now, reason=reason) for session in sessions],
            update_conflicts=True,
            unique_fields=["sso_session", "site"],
            update_fields=["ended_at", "reason"],
        )
        deliveries = backchannel.queue_site_logouts(site, sessions) if notify else []
        SessionSite.objects.filter(site=site, sso_session__in=sessions).delete()
        site_grant_ended.send(sender=PartnerSite, site=site, sso_sessions=sessions)
        users = {session.user_id for session in sessions}
        record_event(
            EventType.GRANT_ENDED,
            user=sessions[0].user if len(users) == 1 else None,
            request=request,
            client_id=site.client_id,
            sid=sessions[0].sid if len(sessions) == 1 else "",
            reason=reason,
            sessions=len(sessions),
        )
        sids = [session.sid for session in sessions]
        transaction.on_commit(lambda: _after_grant_ended(site.client_id, sids, now, deliveries))
    return len(sessions)


def _after_grant_ended(client_id: str, sids: list[str], ended_at, delivery_ids: list[int]) -> None:
    for sid in sids:
        denylist.deny_grant(sid, client_id, ended_at)
    for delivery_id in delivery_ids:
        outbox.attempt_delivery(delivery_id)  # failures stay queued for deliver_logouts


def sessions_signed_in_to(site: PartnerSite):
    """Live SSO sessions that signed in to ``site`` or hold its refresh tokens."""
    linked = SessionSite.objects.filter(site=site).values("sso_session_id")
    holding = RefreshTokenRecord.objects.filter(site=site).values("sso_session_id")
    return SSOSession.objects.active().filter(Q(pk__in=linked) | Q(pk__in=holding)).select_related("user")
