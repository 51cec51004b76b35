"""Device secrets (Native SSO), legacy-account links and consumed legacy tokens.

Every credential here is stored as a digest: a copy of the database gives no
usable device secret and no legacy refresh token.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import PartnerSite, SSOSession, User


class DeviceSecret(models.Model):
    """OpenID Connect Native SSO ``device_secret``, bound to one SSO session."""

    secret_hash = models.CharField(max_length=64, unique=True)
    sso_session = models.ForeignKey(SSOSession, on_delete=models.CASCADE, related_name="device_secrets")
    issued_to = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class LegacyAccountLink(models.Model):
    """Maps a legacy provider's ``sub`` (kept only as a keyed hash) to our account."""

    legacy_sub_index = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="legacy_links")
    created_at = models.DateTimeField(default=timezone.now)


class ConsumedLegacyToken(models.Model):
    """A legacy refresh token already exchanged: a replay is refused (unique digest)."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    consumed_at = models.DateTimeField(default=timezone.now)
