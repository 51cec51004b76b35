"""The JWT signing key ring, in the database so that every node signs and publishes the same keys."""

from __future__ import annotations

from django.db import models


class StoredSigningKey(models.Model):
    """One key of the ring. The private key is sealed (AES-256-GCM under a key derived from
    ``SIGNING_KEY_ENCRYPTION_KEY``, bound to its kid and algorithm): a copy of the database
    alone signs nothing. ``accounts.oauth.key_storage`` seals and opens it."""

    kid = models.CharField(max_length=16, unique=True)
    algorithm = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="When a newer key of its algorithm took over signing."
    )
    public_jwk = models.JSONField()
    sealed_private_key = models.BinaryField()

    class Meta:
        verbose_name = "signing key"
        ordering = ["created_at", "kid"]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.kid}"
