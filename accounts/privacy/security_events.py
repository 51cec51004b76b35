"""Security Event Tokens (RFC 8417) of the RISC profile, as partner sites receive them.

Shaped as the Shared Signals Framework 1.0 asks: ``typ: secevent+jwt``, the
subject in ``sub_id`` as an ``iss_sub`` identifier (RFC 9493) carrying the
site's own (pairwise or public) subject, one event per token, no ``sub`` and
no ``exp`` (a SET states a fact; it does not grant anything until a time).
The ``jti`` is the caller's, so a retried delivery carries the same one and a
receiver can tell a repeat from a new event (RFC 8935 section 2.3).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from accounts.models import OutboxMessage, PartnerSite, SiteAccount, User
from accounts.oauth.claims import subject_for
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.token_backend import KeyRingTokenBackend
from accounts.outbound import post

RISC_EVENT_TYPES = "https://schemas.openid.net/secevent/risc/event-type/"
ACCOUNT_PURGED = RISC_EVENT_TYPES + "account-purged"
ACCOUNT_DISABLED = RISC_EVENT_TYPES + "account-disabled"
SET_TYP = "secevent+jwt"
SET_CONTENT_TYPE = "application/secevent+jwt"
DELIVERY_TIMEOUT_SECONDS = 3

EVENT_URIS = {
    OutboxMessage.Kind.ACCOUNT_PURGED: ACCOUNT_PURGED,
    OutboxMessage.Kind.ACCOUNT_DISABLED: ACCOUNT_DISABLED,
}


def security_event_token(site: PartnerSite, event: str, *, sub: str, jti: str, issued_at: datetime) -> str:
    backend = KeyRingTokenBackend(SET_TYP, audience=site.client_id)
    payload = {
        "jti": jti,
        "iat": int(issued_at.timestamp()),
        "sub_id": {"format": "iss_sub", "iss": backend.issuer, "sub": sub},
        "events": {event: {}},
    }
    return backend.encode(payload, signing_key_for(site))


def queue_account_event(user: User, kind: str) -> list[int]:
    """Outbox rows telling every site that ever knew ``user`` and listens for ``kind``.

    Called inside the transaction that erases or disables the account, so the
    subjects are computed while the account still exists and the messages are
    kept exactly when the change is. Sites hear account-purged whenever they
    have a receiver; account-disabled only when they registered for it.
    """
    known = SiteAccount.objects.filter(user=user).exclude(site__security_event_uri="").select_related("site")
    if kind == OutboxMessage.Kind.ACCOUNT_DISABLED:
        known = known.filter(site__account_disabled_events=True)
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(site=link.site, kind=kind, sub=subject_for(user, link.site), jti=secrets.token_hex(16))
        for link in known
    )
    return [message.pk for message in messages]


def push(message: OutboxMessage) -> int:
    """RFC 8935 push: the SET as the body; returns the HTTP status (202 acknowledges)."""
    token = security_event_token(
        message.site, EVENT_URIS[message.kind], sub=message.sub, jti=message.jti, issued_at=message.created_at
    )
    status, _ = post(
        message.site.security_event_uri,
        token.encode(),
        SET_CONTENT_TYPE,
        headers={"Accept": "application/json"},
        timeout=DELIVERY_TIMEOUT_SECONDS,
    )
    return status
