"""Model fields whose database column holds only ciphertext.

They are django-cryptography's encrypted fields (``encrypt(...)``) with two
changes: the key ring of ``keyring.py`` instead of a SECRET_KEY-bound signer,
and UTF-8 text instead of pickle inside the ciphertext, so that decrypting a
value can never execute code even if a MAC key leaked.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django_cryptography.fields import get_encrypted_field

from accounts.pii.keyring import pii_keyring


class PIIEncryptionMixin:
    def _dump(self, value: Any) -> bytes:
        return pii_keyring().encrypt(str(value).encode("utf-8"))

    def _load(self, value: bytes) -> str:
        return pii_keyring().decrypt(value).decode("utf-8")


class EncryptedPIICharField(PIIEncryptionMixin, get_encrypted_field(models.CharField, True)):
    """A CharField stored as ciphertext; only ``isnull`` look-ups are possible."""


class EncryptedPIIEmailField(PIIEncryptionMixin, get_encrypted_field(models.EmailField, True)):
    """An EmailField stored as ciphertext; look-ups go through the blind index."""
