"""RFC 8935 push delivery, receiving side: the IdP's RISC Security Event Tokens.

``account-purged``: the account no longer exists at the IdP, so everything this
site keeps under its subject goes (installations, sessions). ``account-disabled``:
its sessions here end. A token is checked against the IdP's JWKS like every
other token of the IdP (``typ``, ``iss``, ``aud``, signature) before anything changes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction

from marketplace_demo.models import Installation, SeenSecurityEvent, SignedInSession
from marketplace_demo.partner_auth.verify import InvalidToken, verify_jwt

RISC_EVENT_TYPES = "https://schemas.openid.net/secevent/risc/event-type/"
ACCOUNT_PURGED = RISC_EVENT_TYPES + "account-purged"
ACCOUNT_DISABLED = RISC_EVENT_TYPES + "account-disabled"
SUPPORTED = {ACCOUNT_PURGED, ACCOUNT_DISABLED}


class RefusedEvent(Exception):
    """An RFC 8935 section 2.3 error: ``err`` code and description."""

    def __init__(self, err: str, description: str):
        super().__init__(description)
        self.err, self.description = err, description


def _err_for(message: str) -> str:
    if message == "Invalid audience":
        return "invalid_audience"
    if message == "Invalid issuer":
        return "invalid_issuer"
    if message in {"bad_signature", "unknown kid", "algorithm does not match the key"}:
        return "invalid_key"
    return "invalid_request"


def verify_security_event(raw: str) -> tuple[str, str, str]:
    """(event type, subject, jti) of a valid SET for this site; raises RefusedEvent."""
    issuer, audience = settings.PARTNER["ISSUER"], settings.PARTNER["CLIENT_ID"]
    try:
        claims = verify_jwt(
            raw, issuer=issuer, audience=audience, typ="secevent+jwt", require=["iss", "aud", "iat", "jti", "events"]
        )
    except InvalidToken as error:
        raise RefusedEvent(_err_for(str(error)), str(error)) from None
    events = claims.get("events")
    if not isinstance(events, dict) or len(events) != 1:
        raise RefusedEvent("invalid_request", "exactly one event is expected")
    (event,) = events
    if event not in SUPPORTED or not isinstance(events[event], dict):
        raise RefusedEvent("invalid_request", "unsupported event type")
    subject = claims.get("sub_id")
    if (
        not isinstance(subject, dict)
        or subject.get("format") != "iss_sub"
        or subject.get("iss") != issuer
        or not isinstance(subject.get("sub"), str)
        or not subject["sub"]
    ):
        raise RefusedEvent("invalid_request", "the subject must be an iss_sub identifier of this issuer")
    if "sub" in claims:  # SSF 1.0: the subject is sub_id alone
        raise RefusedEvent("invalid_request", "a security event token must not carry sub")
    return event, subject["sub"], str(claims["jti"])[:64]


def process_security_event(raw: str) -> bool:
    """Acts on a valid SET; False when its ``jti`` was acted on before (a retry)."""
    event, sub, jti = verify_security_event(raw)
    try:
        with transaction.atomic():
            SeenSecurityEvent.objects.create(jti=jti)
            sessions = SignedInSession.objects.filter(sub=sub)
            Session.objects.filter(session_key__in=list(sessions.values_list("session_key", flat=True))).delete()
            sessions.delete()
            if event == ACCOUNT_PURGED:
                Installation.objects.filter(sub=sub).delete()
    except IntegrityError:
        return False
    return True
