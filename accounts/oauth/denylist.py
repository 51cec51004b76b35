"""Refusing access tokens of ended sessions (and single revoked tokens) at once.

Access tokens are self-contained for five minutes; our own APIs must still
refuse them the moment their SSO session ends. The cache holds the deny-list
for fast answers and the database stays authoritative: a cache miss asks it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from accounts.models import SSOSession


def _ttl() -> int:
    sso = settings.SSO
    return int((sso["ACCESS_TOKEN_LIFETIME"] + sso["JWT_LEEWAY"]).total_seconds())


def deny_session(sid: str) -> None:
    cache.set(f"sso:sid-ended:{sid}", True, _ttl())


def deny_access_token(jti: str) -> None:
    cache.set(f"sso:jti-revoked:{jti}", True, _ttl())


def access_token_denied(jti: str, sid: str) -> bool:
    denied = cache.get_many([f"sso:sid-ended:{sid}", f"sso:jti-revoked:{jti}"])
    if denied:
        return True
    if not SSOSession.objects.filter(sid=sid, ended_at__isnull=True).exists():
        deny_session(sid)
        return True
    return False
