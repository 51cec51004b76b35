"""OpenID Connect Back-Channel Logout 1.0: queue, sign and deliver logout tokens.

Durable by construction: the outbox rows are written in the transaction that
ends the session, delivery is attempted right after commit, and
``deliver_logouts`` retries what failed with exponential backoff until the
site acknowledges (HTTP 200) or the retry window closes.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.models import LogoutDelivery, PartnerSite, SessionSite, SSOSession
from accounts.oauth.claims import subject_for
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.sector_sid import sid_for
from accounts.oauth.tokens import LogoutToken
from accounts.outbound import post_form

logger = logging.getLogger("accounts.backchannel")

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
DELIVERY_TIMEOUT_SECONDS = 3
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY_INTERVAL = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=3)


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
    delivery, created = LogoutDelivery.objects.get_or_create(
        site=site, sid=sso_session.sid, defaults={"sub": subject_for(sso_session.user, site)}
    )
    if not created and delivery.created_at < linked_at:
        # Told once already, and signed in to the site again since: tell it again.
        now = timezone.now()
        delivery.status, delivery.attempts, delivery.last_error = LogoutDelivery.Status.PENDING, 0, ""
        delivery.created_at = delivery.next_attempt_at = now
        delivery.delivered_at = None
        delivery.save()
    return delivery.pk


def logout_token_for(delivery: LogoutDelivery) -> str:
    token = LogoutToken(audience=delivery.site.client_id).set_claims(
        sub=delivery.sub, sid=sid_for(delivery.sid, delivery.site), events={BACKCHANNEL_EVENT: {}}
    )
    return token.signed_with(signing_key_for(delivery.site))


class DeliveryFailed(Exception):
    pass


def _post_logout_token(uri: str, logout_token: str) -> None:
    status, _ = post_form(
        uri, {"logout_token": logout_token}, headers={"Cache-Control": "no-cache"}, timeout=DELIVERY_TIMEOUT_SECONDS
    )
    if status != 200:  # section 2.8: 200 is the acknowledgement; a redirect is not followed
        raise DeliveryFailed(f"HTTP {status}")


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_INTERVAL)


def attempt_delivery(delivery_id: int) -> bool:
    """One delivery attempt, with the row locked so two workers never send the same one twice."""
    with transaction.atomic():
        # Lock the delivery row only: locking the joined site row too would make every
        # attempt skip while any other transaction holds a key-share lock on the site
        # (each sign-in and logout at that site does), leaving deliveries unattempted.
        delivery = (
            LogoutDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("site")
            .filter(pk=delivery_id, status=LogoutDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        delivery.attempts += 1
        now = timezone.now()
        try:
            _post_logout_token(delivery.site.backchannel_logout_uri, logout_token_for(delivery))
        except (OSError, ValueError, DeliveryFailed) as error:
            delivery.last_error = str(error)[:300]
            if now - delivery.created_at > GIVE_UP_AFTER:
                delivery.status = LogoutDelivery.Status.FAILED
                record_event(
                    EventType.BACKCHANNEL_LOGOUT_FAILED,
                    client_id=delivery.site.client_id,
                    sid=delivery.sid,
                    attempts=delivery.attempts,
                )
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
            logger.info("back-channel logout to %s failed (attempt %d)", delivery.site.client_id, delivery.attempts)
        else:
            delivery.status = LogoutDelivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
            record_event(
                EventType.BACKCHANNEL_LOGOUT_DELIVERED,
                client_id=delivery.site.client_id,
                sid=delivery.sid,
                attempts=delivery.attempts,
            )
        delivery.save()
    return delivery.status == LogoutDelivery.Status.DELIVERED


def deliver_due_logouts(limit: int = 100) -> tuple[int, int]:
    """Attempt every pending delivery that is due; returns (delivered, still pending)."""
    due = list(
        LogoutDelivery.objects.filter(status=LogoutDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = sum(attempt_delivery(pk) for pk in due)
    pending = LogoutDelivery.objects.filter(status=LogoutDelivery.Status.PENDING).count()
    return delivered, pending
