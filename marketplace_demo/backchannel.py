"""OpenID Connect Back-Channel Logout 1.0, receiving side: end every local
session of the SSO session named by a valid logout token."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction

from marketplace_demo.models import SeenLogoutToken, SignedInSession
from marketplace_demo.partner_auth.verify import InvalidToken, end_sid, verify_logout_token


def process_logout_token(raw: str) -> int:
    """Returns how many local sessions ended; raises InvalidToken (nothing changed)."""
    claims = verify_logout_token(raw, issuer=settings.PARTNER["ISSUER"], audience=settings.PARTNER["CLIENT_ID"])
    try:
        with transaction.atomic():
            SeenLogoutToken.objects.create(jti=str(claims["jti"])[:64])
            sessions = SignedInSession.objects.all()
            sessions = sessions.filter(sid=claims["sid"]) if claims.get("sid") else sessions.filter(sub=claims["sub"])
            keys = list(sessions.values_list("session_key", flat=True))
            Session.objects.filter(session_key__in=keys).delete()
            sessions.delete()
            if claims.get("sid"):
                end_sid(claims["sid"])  # the partner API refuses the session's access tokens too
    except IntegrityError:
        raise InvalidToken("logout token replayed") from None
    return len(keys)
