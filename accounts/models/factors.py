"""Second factors: an authenticator app (TOTP, RFC 6238) and single-use recovery codes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.users import User
from accounts.pii.fields import EncryptedPIICharField


class TOTPAuthenticator(models.Model):
    """One authenticator app per account. The shared secret is ciphertext at rest
    (DESIGN.md section 4); ``last_used_step`` is the time step of the last code
    accepted, so a code is good once (RFC 6238 section 5.2)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = EncryptedPIICharField("shared secret", max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="Set once a first code was entered.")
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "authenticator app"

    def __str__(self) -> str:
        return f"authenticator app of {self.user}"


class RecoveryCode(models.Model):
    """Kept as a keyed hash (accounts.factors.recovery): a copy of the table opens nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes", db_index=False)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recoverycode_user_hash")]

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class Passkey(models.Model):
    """A WebAuthn credential (a passkey): its id and public key, the signature counter
    the authenticator last reported, and the name its owner gave it (personal data:
    ciphertext at rest, registered for audit_pii)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url")
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    backed_up = models.BooleanField(default=False, help_text="Synced between devices (a software key, swk).")
    name = EncryptedPIICharField("name", max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey of {self.user}"
