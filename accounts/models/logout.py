"""The back-channel logout outbox: one row per partner site to tell about an ended session."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.sites import PartnerSite


class LogoutDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed", "gave up"

    # Indexed by the unique constraint, which leads with it.
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="logout_deliveries", db_index=False)
    sid = models.CharField(max_length=64)
    sub = models.CharField(max_length=100, help_text="The subject as this site knows it (pairwise or public).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "back-channel logout delivery"
        verbose_name_plural = "back-channel logout deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [models.UniqueConstraint(fields=["site", "sid"], name="one_logout_per_site_and_session")]

    def __str__(self) -> str:
        return f"logout of {self.sid[:8]} to {self.site.client_id}: {self.status}"
