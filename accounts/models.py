"""Accounts, SSO sessions and the audit log. No column here holds plaintext PII."""

from __future__ import annotations

import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from accounts.pii.blind_index import email_index
from accounts.pii.fields import EncryptedPIICharField, EncryptedPIIEmailField
from accounts.pii.masking import mask_email
from accounts.validators import reject_control_characters


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        """Every look-up by email goes through the blind index."""
        return self.get(email_index=email_index(email))

    def get_by_email(self, email: str) -> "User":
        return self.get_by_natural_key(email)

    def email_taken(self, email: str) -> bool:
        return self.filter(email_index=email_index(email)).exists()

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
    email = EncryptedPIIEmailField(
        "email address", max_length=254, validators=[reject_control_characters]
    )
    name = EncryptedPIICharField(
        "name", max_length=150, blank=True, default="", validators=[reject_control_characters]
    )
    email_index = models.CharField(
        max_length=64, unique=True, editable=False,
        help_text="HMAC-SHA256 of the normalised email under the blind-index key.",
    )
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
    def masked_email(self) -> str:
        return mask_email(self.email)

    def clean(self) -> None:
        super().clean()  # NFKC-normalises the email (AbstractBaseUser.normalize_username)
        self.email = UserManager.normalize_email(self.email.strip())
        self.name = self.name.strip()

    def save(self, *args, **kwargs) -> None:
        self.email_index = email_index(self.email)
        super().save(*args, **kwargs)


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
        ADMIN_TERMINATED = "admin_terminated", "terminated by an administrator"

    sid = models.CharField(max_length=64, unique=True, default=new_sid, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_sessions")
    started_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    network_id = models.CharField(
        max_length=64, blank=True, help_text="Reduced network identifier (truncated IP)."
    )

    objects = SSOSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "SSO session"
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"session {self.sid[:8]}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class AuditEvent(models.Model):
    """Append-only: rows are written once and never changed or deleted by the app."""

    class EventType(models.TextChoices):
        REGISTRATION = "registration"
        LOGIN_SUCCESS = "login_success"
        LOGIN_FAILURE = "login_failure"
        LOGOUT = "logout"
        PASSWORD_CHANGE = "password_change"
        ACCOUNT_LOCKED = "account_locked"
        SESSION_ENDED = "session_ended"
        ADMIN_VIEWED_PII = "admin_viewed_pii"
        ADMIN_TERMINATED_SESSION = "admin_terminated_session"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    # No foreign-key constraint: the trail must outlive the account it is about.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", help_text="Staff member who acted, for admin events.",
    )
    client_id = models.CharField(max_length=100, blank=True, help_text="Partner site, where relevant.")
    sid = models.CharField(max_length=64, blank=True)
    network_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="Non-personal context (ids, reasons).")

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionDenied("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit events are append-only")
