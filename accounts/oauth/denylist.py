"""Refusing access tokens of ended sessions, ended site grants and single revoked tokens at once.

Access tokens are self-contained for five minutes; our own APIs must still
refuse them the moment their SSO session ends or they are revoked. The cache
answers the common case fast; the database stays authoritative, so neither a
cache miss nor a cache outage lets a revoked token through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.conf import sso_settings
from accounts.models import EndedGrant, RevokedAccessToken, SSOSession


def _ttl() -> int:
    sso = sso_settings()
    return int((sso.access_token_lifetime + sso.jwt_leeway).total_seconds())


def deny_session(sid: str) -> None:
    cache.set(f"sso:sid-ended:{sid}", True, _ttl())


def deny_access_token(jti: str, expires_at: datetime | None = None) -> None:
    expires_at = expires_at or timezone.now() + sso_settings().access_token_lifetime + sso_settings().jwt_leeway
    RevokedAccessToken.objects.get_or_create(jti=jti, defaults={"expires_at": expires_at})
    cache.set(f"sso:jti-revoked:{jti}", True, _ttl())


def access_token_revoked(jti: str) -> bool:
    """A single token revoked (RFC 7009): for tokens that belong to no session."""
    return bool(cache.get(f"sso:jti-revoked:{jti}")) or RevokedAccessToken.objects.filter(jti=jti).exists()


def _grant_key(sid: str, client_id: str) -> str:
    return f"sso:grant-ended:{sid}:{client_id}"


def deny_grant(sid: str, client_id: str, ended_at: datetime) -> None:
    """Access tokens of ``client_id`` in session ``sid`` issued up to ``ended_at`` are refused
    (the grant's ``EndedGrant`` row is the authority). Token times have whole seconds,
    so one issued later in the same second is refused too."""
    cache.set(_grant_key(sid, client_id), int(ended_at.timestamp()), _ttl())


def access_token_denied(jti: str, sid: str, *, client_ids: Iterable[str] = (), issued_at: int = 0) -> bool:
    """True when the session ``sid`` has ended, the token ``jti`` was revoked, or the
    grant of one of ``client_ids`` in that session ended after the token was issued."""
    client_ids = sorted(set(client_ids))
    grant_keys = [_grant_key(sid, client_id) for client_id in client_ids]
    found = cache.get_many([f"sso:sid-ended:{sid}", f"sso:jti-revoked:{jti}", *grant_keys])
    if found.get(f"sso:sid-ended:{sid}") or found.get(f"sso:jti-revoked:{jti}"):
        return True
    if any(key in found and issued_at <= found[key] for key in grant_keys):
        return True
    # One query: the session is live, this token was not revoked, its grant has not ended since it was issued.
    checks = {"revoked": Exists(RevokedAccessToken.objects.filter(jti=jti))}
    if client_ids:
        checks["grant_ended"] = Exists(
            EndedGrant.objects.filter(
                sso_session=OuterRef("pk"), site__client_id__in=client_ids, ended_at__gte=datetime_from_epoch(issued_at)
            )
        )
    refused = SSOSession.objects.filter(sid=sid, ended_at__isnull=True).annotate(**checks).values_list(*checks).first()
    if refused is None:
        deny_session(sid)
        return True
    return any(refused)
