"""Accounts. Email and name are ciphertext at rest; look-ups go through the blind index."""

from __future__ import annotations

import functools
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import DEFAULT_DB_ALIAS, models
from django.utils import timezone

from accounts.joined_rows import JoinedRead, Part
from accounts.pii.blind_index import email_index
from accounts.pii.fields import EncryptedPIICharField, EncryptedPIIEmailField
from accounts.pii.masking import mask_email
from accounts.validators import reject_control_characters


@functools.cache
def _by_email_index() -> JoinedRead:
    account = Part.of(User, "u")
    return JoinedRead([account], f"FROM {account.table} WHERE u.email_index = %s")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        """Every look-up by email goes through the blind index (at every password
        login: one written-out read, see accounts.joined_rows)."""
        if self._db not in (None, DEFAULT_DB_ALIAS):  # the written-out read uses the default database
            return self.get(email_index=email_index(email))
        found = _by_email_index().fetch([email_index(email)])
        if found is None:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        return found[0]

    def get_by_email(self, email: str) -> "User":
        return self.get_by_natural_key(email)

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not (extra["is_staff"] and extra["is_superuser"]):
            raise ValueError("a superuser must have is_staff and is_superuser")
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = EncryptedPIIEmailField("email address", max_length=254, validators=[reject_control_characters])
    name = EncryptedPIICharField("name", max_length=150, blank=True, default="", validators=[reject_control_characters])
    email_index = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="HMAC-SHA256 of the normalised email under the blind-index key.",
    )
    # When the owner of ``email`` proved it by following a mailed link (accounts.verification);
    # None until then, and again when the address changes to one not yet proved.
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        permissions = [("view_pii", "Can view personal data (email, name) in clear")]

    def __str__(self) -> str:
        # str(user) ends up in admin log entries and log lines: never PII.
        return f"user {str(self.pk)[:8]}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)

    def clean(self) -> None:
        super().clean()  # NFKC-normalises the email (AbstractBaseUser.normalize_username)
        self.email = UserManager.normalize_email(self.email.strip())
        self.name = self.name.strip()

    def check_password(self, raw_password: str) -> bool:
        # Django upgrades an outdated hash inside this call: the same password in a
        # new hash, which must not end the user's sessions (accounts.signals).
        self._rehashing = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing = False

    async def acheck_password(self, raw_password: str) -> bool:
        self._rehashing = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing = False

    def save(self, *args, **kwargs) -> None:
        self.email_index = email_index(self.email)
        super().save(*args, **kwargs)
