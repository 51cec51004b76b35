"""Authorization codes and refresh-token records: stored as digests, never usable as stored."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models.sessions import SSOSession
from accounts.models.sites import PartnerSite
from accounts.models.users import User


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AuthorizationCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sso_session = models.ForeignKey(SSOSession, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.TextField()
    scope = models.TextField()
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128)
    auth_time = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # What the first use issued, revoked if the code is ever presented again.
    issued_refresh = models.ForeignKey(
        OutstandingToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_access_jti = models.CharField(max_length=64, blank=True)


class RefreshTokenRecord(models.Model):
    """Links a refresh token (simplejwt OutstandingToken, text replaced by a digest)
    to its SSO session and client, so a session's tokens can all be blacklisted."""

    outstanding = models.OneToOneField(OutstandingToken, on_delete=models.CASCADE, related_name="sso_record")
    sso_session = models.ForeignKey(SSOSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    scope = models.TextField()
    rotated_at = models.DateTimeField(null=True, blank=True, help_text="Set when exchanged for a newer token.")


class RevokedAccessToken(models.Model):
    """An access token revoked before its expiry (RFC 7009, code reuse). Kept in
    the database as well as the cache, so a lost cache never revives it."""

    jti = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)


class EndedGrant(models.Model):
    """A site's grant in one SSO session, ended before the session itself:
    consent withdrawn, the site disabled, a code replayed, a refresh token
    revoked. Access tokens of that site and session issued up to ``ended_at``
    are refused; a later sign-in to the site starts a new grant."""

    # Indexed by the unique constraint, which leads with it.
    sso_session = models.ForeignKey(SSOSession, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    ended_at = models.DateTimeField()
    reason = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sso_session", "site"], name="one_ended_grant_per_session_and_site")
        ]
