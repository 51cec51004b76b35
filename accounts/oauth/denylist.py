"""Refusing access tokens of ended sessions (and single revoked tokens) at once.

Access tokens are self-contained for five minutes; our own APIs must still
refuse them the moment their SSO session ends or they are revoked. The cache
answers the common case fast; the database stays authoritative, so neither a
cache miss nor a cache outage lets a revoked token through.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists
from django.utils import timezone

from accounts.models import RevokedAccessToken, SSOSession


def _ttl() -> int:
    sso = settings.SSO
    return int((sso["ACCESS_TOKEN_LIFETIME"] + sso["JWT_LEEWAY"]).total_seconds())


def deny_session(sid: str) -> None:
    cache.set(f"sso:sid-ended:{sid}", True, _ttl())


def deny_access_token(jti: str, expires_at: datetime | None = None) -> None:
    expires_at = expires_at or timezone.now() + settings.SSO["ACCESS_TOKEN_LIFETIME"] + settings.SSO["JWT_LEEWAY"]
    RevokedAccessToken.objects.get_or_create(jti=jti, defaults={"expires_at": expires_at})
    cache.set(f"sso:jti-revoked:{jti}", True, _ttl())


def access_token_denied(jti: str, sid: str) -> bool:
    if cache.get_many([f"sso:sid-ended:{sid}", f"sso:jti-revoked:{jti}"]):
        return True
    # One query: the session is live and this token was not revoked.
    revoked = (SSOSession.objects.filter(sid=sid, ended_at__isnull=True)
               .annotate(revoked=Exists(RevokedAccessToken.objects.filter(jti=jti)))
               .values_list("revoked", flat=True).first())
    if revoked is None:
        deny_session(sid)
        return True
    return revoked
