"""A new address waiting to be proved by its owner before it replaces the account's."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.users import User
from accounts.pii.fields import EncryptedPIIEmailField


class EmailChange(models.Model):
    """One pending change per account; the link's token is kept only as its SHA-256
    digest, and the new address is ciphertext like the account's own."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="+")
    email = EncryptedPIIEmailField("new email address", max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"email change of {self.user}"
