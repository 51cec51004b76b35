"""The append-only audit trail. No column holds PII: ids, types, reduced networks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from accounts.models.users import User


class AuditEvent(models.Model):
    """Append-only: rows are written once and never changed or deleted by the app."""

    class EventType(models.TextChoices):
        REGISTRATION = "registration", "Registration"
        LOGIN_SUCCESS = "login_success", "Sign-in"
        LOGIN_FAILURE = "login_failure", "Failed sign-in"
        LOGOUT = "logout", "Sign-out"
        PASSWORD_CHANGE = "password_change", "Password changed"
        ACCOUNT_LOCKED = "account_locked", "Account locked"
        SESSION_ENDED = "session_ended", "Session ended"
        ADMIN_VIEWED_PII = "admin_viewed_pii", "Admin viewed PII"
        ADMIN_TERMINATED_SESSION = "admin_terminated_session", "Admin terminated a session"
        CONSENT_GRANTED = "consent_granted", "Consent granted"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        TOKEN_ISSUED = "token_issued", "Token issued"
        REFRESH_TOKEN_REUSE = "refresh_token_reuse", "Refresh token reused"
        AUTHORIZATION_CODE_REUSE = "authorization_code_reuse", "Authorization code reused"
        TOKEN_REVOKED = "token_revoked", "Token revoked"
        TOKEN_EXCHANGE_REFUSED = "token_exchange_refused", "Token exchange refused"
        BACKCHANNEL_LOGOUT_DELIVERED = "backchannel_logout_delivered", "Back-channel logout delivered"
        BACKCHANNEL_LOGOUT_FAILED = "backchannel_logout_failed", "Back-channel logout failed"
        GRANT_ENDED = "grant_ended", "Site grant ended"
        ACCOUNT_DISABLED = "account_disabled", "Account disabled"
        REGISTRATION_THROTTLED = "registration_throttled", "Registration throttled"
        REGISTRATION_REPEATED = "registration_repeated", "Registration with a taken address"
        EMAIL_VERIFIED = "email_verified", "Email address verified"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        EMAIL_CHANGE_REQUESTED = "email_change_requested", "Email change requested"
        EMAIL_CHANGED = "email_changed", "Email address changed"
        NAME_CHANGED = "name_changed", "Name changed"
        MAIL_NOT_SENT = "mail_not_sent", "Mail could not be sent"
        SECOND_FACTOR_ADDED = "second_factor_added", "Second factor added"
        SECOND_FACTOR_REMOVED = "second_factor_removed", "Second factor removed"
        SECOND_FACTOR_FAILURE = "second_factor_failure", "Wrong second-factor code"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Recovery codes regenerated"
        PASSKEY_REFUSED = "passkey_refused", "Passkey refused"
        PASSKEY_SIGN_COUNT_REGRESSED = "passkey_sign_count_regressed", "Passkey signature counter went back"
        DATA_EXPORTED = "data_exported", "Account data exported"
        ACCOUNT_ERASED = "account_erased", "Account erased"
        SECURITY_EVENT_DELIVERED = "security_event_delivered", "Security event delivered"
        SECURITY_EVENT_FAILED = "security_event_failed", "Security event delivery failed"
        RETENTION_PURGED = "retention_purged", "Stale rows purged"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Indexed in Meta: db_index=True would add, on PostgreSQL, a second (LIKE)
    # index that every event's insert maintains and no query uses.
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    # No foreign-key constraint: the trail must outlive the account it is about.
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="Staff member who acted, for admin events.",
    )
    client_id = models.CharField(max_length=100, blank=True, help_text="Partner site, where relevant.")
    sid = models.CharField(max_length=64, blank=True)
    network_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="Non-personal context (ids, reasons).")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["event_type"], name="auditevent_event_type")]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionDenied("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit events are append-only")
