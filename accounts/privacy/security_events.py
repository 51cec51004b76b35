"""Security Event Tokens (RFC 8417) of the RISC profile, as partner sites receive them.

Shaped as the Shared Signals Framework 1.0 asks: ``typ: secevent+jwt``, the
subject in ``sub_id`` as an ``iss_sub`` identifier (RFC 9493) carrying the
site's own (pairwise or public) subject, one event per token, no ``sub`` and
no ``exp`` (a SET states a fact; it does not grant anything until a time).
The ``jti`` is the caller's, so a retried delivery carries the same one and a
receiver can tell a repeat from a new event (RFC 8935 section 2.3).
"""

from __future__ import annotations

from datetime import datetime

from accounts.models import PartnerSite
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.token_backend import KeyRingTokenBackend

RISC_EVENT_TYPES = "https://schemas.openid.net/secevent/risc/event-type/"
ACCOUNT_PURGED = RISC_EVENT_TYPES + "account-purged"
ACCOUNT_DISABLED = RISC_EVENT_TYPES + "account-disabled"
SET_TYP = "secevent+jwt"


def security_event_token(site: PartnerSite, event: str, *, sub: str, jti: str, issued_at: datetime) -> str:
    backend = KeyRingTokenBackend(SET_TYP, audience=site.client_id)
    payload = {
        "jti": jti,
        "iat": int(issued_at.timestamp()),
        "sub_id": {"format": "iss_sub", "iss": backend.issuer, "sub": sub},
        "events": {event: {}},
    }
    return backend.encode(payload, signing_key_for(site))
