"""SSO sessions (the ``sid`` of DESIGN.md section 5)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from accounts.models.users import User


def new_sid() -> str:
    return secrets.token_urlsafe(32)


class SSOSessionQuerySet(models.QuerySet):
    def active(self) -> "SSOSessionQuerySet":
        return self.filter(ended_at__isnull=True)


class SSOSession(models.Model):
    """The SSO session (``sid``): begins at password login on the IdP, root of
    every partner login and token issued afterwards (DESIGN.md section 5)."""

    class EndReason(models.TextChoices):
        LOGOUT = "logout", "signed out"
        SIGNED_OUT_ELSEWHERE = "signed_out_elsewhere", "signed out from another session"
        SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", "signed out everywhere"
        PASSWORD_CHANGED = "password_changed", "password changed"
        ACCOUNT_DISABLED = "account_disabled", "account disabled"
        ADMIN_TERMINATED = "admin_terminated", "terminated by an administrator"
        REFRESH_TOKEN_REUSE = "refresh_token_reuse", "a rotated refresh token was used again"
        ACCOUNT_ERASED = "account_erased", "account erased"

    sid = models.CharField(max_length=64, unique=True, default=new_sid, editable=False)
    # Indexed by Meta's (user, ended_at), which leads with it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_sessions", db_index=False)
    started_at = models.DateTimeField(default=timezone.now)
    auth_time = models.DateTimeField(default=timezone.now, help_text="Last password authentication.")
    last_used_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    network_id = models.CharField(max_length=64, blank=True, help_text="Reduced network identifier (truncated IP).")
    device = models.CharField(
        max_length=64, blank=True, help_text='Coarse, e.g. "Firefox on Android"; never the user agent.'
    )
    # How the user proved who they are at auth_time (RFC 8176 amr values, space-separated).
    auth_methods = models.CharField(max_length=64, blank=True, default="pwd")

    objects = SSOSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "SSO session"
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"session {self.sid[:8]}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
