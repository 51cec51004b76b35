"""OpenID Connect Back-Channel Logout 1.0: queue, sign and deliver logout tokens.

Durable by construction: the outbox rows are written in the transaction that
ends the session, delivery is attempted right after commit, and
``deliver_logouts`` retries what failed with exponential backoff until the
site acknowledges (HTTP 200) or the retry window closes.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone

from accounts.audit import EventType, record_event
from accounts.models import LogoutDelivery, SessionSite, SSOSession
from accounts.oauth.claims import subject_for
from accounts.oauth.tokens import LogoutToken

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
    links = SessionSite.objects.filter(sso_session=sso_session).select_related("site").exclude(site__backchannel_logout_uri="")
    ids = []
    for link in links:
        delivery, _ = LogoutDelivery.objects.get_or_create(
            site=link.site, sid=sso_session.sid, defaults={"sub": subject_for(sso_session.user, link.site)}
        )
        ids.append(delivery.pk)
    return ids


def logout_token_for(delivery: LogoutDelivery) -> str:
    token = LogoutToken(audience=delivery.site.client_id).set_claims(
        sub=delivery.sub, sid=delivery.sid, events={BACKCHANNEL_EVENT: {}}
    )
    return str(token)


def _post_logout_token(uri: str, logout_token: str) -> None:
    body = urlencode({"logout_token": logout_token}).encode()
    request = urllib.request.Request(
        uri, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"},
    )
    with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310 (registered URI)
        if response.status != 200:
            raise urllib.error.HTTPError(uri, response.status, "unexpected status", response.headers, None)


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_INTERVAL)


def attempt_delivery(delivery_id: int) -> bool:
    """One delivery attempt, with the row locked so two workers never send the same one twice."""
    with transaction.atomic():
        # Lock the delivery row only: locking the joined site row too would make every
        # attempt skip while any other transaction holds a key-share lock on the site
        # (each sign-in and logout at that site does), leaving deliveries unattempted.
        delivery = (LogoutDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("site").filter(pk=delivery_id, status=LogoutDelivery.Status.PENDING).first())
        if delivery is None:
            return False
        delivery.attempts += 1
        now = timezone.now()
        try:
            _post_logout_token(delivery.site.backchannel_logout_uri, logout_token_for(delivery))
        except (OSError, urllib.error.URLError, ValueError) as error:
            delivery.last_error = str(error)[:300]
            if now - delivery.created_at > GIVE_UP_AFTER:
                delivery.status = LogoutDelivery.Status.FAILED
                record_event(EventType.BACKCHANNEL_LOGOUT_FAILED, client_id=delivery.site.client_id,
                             sid=delivery.sid, attempts=delivery.attempts)
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
            logger.info("back-channel logout to %s failed (attempt %d)", delivery.site.client_id, delivery.attempts)
        else:
            delivery.status = LogoutDelivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
            record_event(EventType.BACKCHANNEL_LOGOUT_DELIVERED, client_id=delivery.site.client_id,
                         sid=delivery.sid, attempts=delivery.attempts)
        delivery.save()
    return delivery.status == LogoutDelivery.Status.DELIVERED


def deliver_due_logouts(limit: int = 100) -> tuple[int, int]:
    """Attempt every pending delivery that is due; returns (delivered, still pending)."""
    due = list(LogoutDelivery.objects.filter(status=LogoutDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    delivered = sum(attempt_delivery(pk) for pk in due)
    pending = LogoutDelivery.objects.filter(status=LogoutDelivery.Status.PENDING).count()
    return delivered, pending
