"""OpenID Connect Back-Channel Logout 1.0: queue and sign logout tokens.

Durable by construction: the outbox rows (``accounts.outbox``) are written in
the transaction that ends the session, delivery is attempted right after
commit, and ``deliver_logouts`` retries what failed with exponential backoff
until the site acknowledges (HTTP 200) or the retry window closes.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import OutboxMessage, PartnerSite, SessionSite, SSOSession
from accounts.oauth.claims import subject_for
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.sector_sid import sid_for
from accounts.oauth.tokens import LogoutToken
from accounts.outbound import post_form

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
DELIVERY_TIMEOUT_SECONDS = 3


def queue_logout_deliveries(sso_session: SSOSession) -> list[int]:
    """Outbox rows for every site the session touched that has a back-channel URI.

    Called inside the transaction that ends the session.
    """
    links = (
        SessionSite.objects.filter(sso_session=sso_session)
        .select_related("site")
        .exclude(site__backchannel_logout_uri="")
    )
    return [_queue(link.site, sso_session, link.first_at) for link in links]


def queue_site_logouts(site: PartnerSite, sso_sessions: list[SSOSession]) -> list[int]:
    """Outbox rows telling ``site`` that its grant in these sessions ended (the sessions go on)."""
    if not site.backchannel_logout_uri:
        return []
    links = SessionSite.objects.filter(site=site, sso_session__in=sso_sessions).select_related("sso_session__user")
    return [_queue(site, link.sso_session, link.first_at) for link in links]


def _queue(site: PartnerSite, sso_session: SSOSession, linked_at) -> int:
    delivery, created = OutboxMessage.objects.get_or_create(
        site=site,
        kind=OutboxMessage.Kind.LOGOUT,
        sid=sso_session.sid,
        defaults={"sub": subject_for(sso_session.user, site)},
    )
    if not created and delivery.created_at < linked_at:
        # Told once already, and signed in to the site again since: tell it again.
        now = timezone.now()
        delivery.status, delivery.attempts, delivery.last_error = OutboxMessage.Status.PENDING, 0, ""
        delivery.created_at = delivery.next_attempt_at = now
        delivery.delivered_at = None
        delivery.save()
    return delivery.pk


def logout_token_for(delivery: OutboxMessage) -> str:
    token = LogoutToken(audience=delivery.site.client_id).set_claims(
        sub=delivery.sub, sid=sid_for(delivery.sid, delivery.site), events={BACKCHANNEL_EVENT: {}}
    )
    return token.signed_with(signing_key_for(delivery.site))


def send_logout(delivery: OutboxMessage) -> int:
    """POSTs the logout token; returns the HTTP status (section 2.8: 200 is the acknowledgement)."""
    status, _ = post_form(
        delivery.site.backchannel_logout_uri,
        {"logout_token": logout_token_for(delivery)},
        headers={"Cache-Control": "no-cache"},
        timeout=DELIVERY_TIMEOUT_SECONDS,
    )
    return status
