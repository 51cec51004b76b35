"""The outbox to partner sites: one row per message a site must receive, kept
until it acknowledges (back-channel logouts and Security Event Tokens alike)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.sites import PartnerSite
from accounts.models.users import User


class OutboxMessage(models.Model):
    class Kind(models.TextChoices):
        LOGOUT = "logout", "back-channel logout"
        ACCOUNT_PURGED = "account-purged", "account purged (RISC)"
        ACCOUNT_DISABLED = "account-disabled", "account disabled (RISC)"

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed", "gave up"

    # Indexed by the unique constraint, which leads with it.
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="outbox_messages", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LOGOUT)
    sid = models.CharField(max_length=64, blank=True, help_text="The ended session (logouts only).")
    sub = models.CharField(max_length=100, help_text="The subject as this site knows it (pairwise or public).")
    # A SET's jti is fixed when it is queued, so every retry carries the same one
    # and the receiver can tell a repeat from a new event (RFC 8935 section 2.3).
    jti = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "message to a partner site"
        verbose_name_plural = "outbox to partner sites"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "sid"], condition=models.Q(kind="logout"), name="one_logout_per_site_and_session"
            )
        ]

    def __str__(self) -> str:
        about = self.sid[:8] if self.kind == self.Kind.LOGOUT else self.jti[:8]
        return f"{self.kind} {about} to {self.site.client_id}: {self.status}"


class SiteAccount(models.Model):
    """A partner site that has signed this account in at least once.

    Kept after the sessions that linked them end and are purged, so that an
    erasure tells every site that ever knew the account, not only those of the
    sessions still on file. Removed with the account.
    """

    # Indexed by the unique constraint, which leads with it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="site_accounts", db_index=False)
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    first_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="one_site_account_per_user_and_site")]
