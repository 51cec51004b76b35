from __future__ import annotations

from django.db import models
from django.utils import timezone


class Item(models.Model):
    """A skill on the marketplace, or a translation project on the languages site."""

    catalogue = models.CharField(max_length=20, db_index=True)
    slug = models.SlugField()
    title = models.CharField(max_length=100)
    summary = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["catalogue", "slug"], name="unique_item_per_catalogue")]
        ordering = ["title"]


class Installation(models.Model):
    """What a user (known here only by the IdP's ``sub`` for this site) installed."""

    sub = models.CharField(max_length=100, db_index=True)
    item = models.ForeignKey(Item, on_delete=models.CASCADE)
    installed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sub", "item"], name="one_installation_per_user")]


class SignedInSession(models.Model):
    """Which local sessions belong to which SSO session (``sid``): back-channel
    logout ends them all."""

    session_key = models.CharField(max_length=40, unique=True)
    sid = models.CharField(max_length=128, db_index=True)  # the IdP's sid for this site's sector
    sub = models.CharField(max_length=100, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)


class SeenLogoutToken(models.Model):
    """``jti`` of logout tokens already processed: a replay is refused."""

    jti = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)


class SeenSecurityEvent(models.Model):
    """``jti`` of Security Event Tokens already acted on: a retried delivery is acknowledged, not redone."""

    jti = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)
