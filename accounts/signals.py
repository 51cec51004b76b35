"""Receivers: failed sign-ins and lock-outs audited, credential changes ending sessions,
site changes taking effect. Signing in and out are explicit services (accounts.sign_in)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.audit import EventType, record_event
from accounts.models import PartnerSite, User
from accounts.oauth.registry import forget_cached_registry
from accounts.sessions import end_sessions_for_credential_change
from accounts.site_grants import GrantEndReason, end_site_grant, sessions_signed_in_to


def _account_for(credentials: dict | None) -> User | None:
    """The account a failed attempt targeted, if it exists (for the audit trail only)."""
    email = (credentials or {}).get("email") or (credentials or {}).get("username")
    if not email or not isinstance(email, str):
        return None
    try:
        return User.objects.get_by_email(email)
    except User.DoesNotExist:
        return None


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    record_event(EventType.LOGIN_FAILURE, user=_account_for(credentials), request=request)


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    credentials = getattr(request, "axes_credentials", None)
    record_event(EventType.ACCOUNT_LOCKED, user=_account_for(credentials), request=request)


CREDENTIAL_FIELDS = {"password", "is_active"}


@receiver(pre_save, sender=User)
def remember_credentials(sender, instance: User, raw=False, update_fields=None, **kwargs):
    """The stored password hash and ``is_active`` before this save, where it may change them."""
    instance._credentials_before = None
    if raw or instance._state.adding or getattr(instance, "_rehashing", False):
        return
    if update_fields is not None and not CREDENTIAL_FIELDS & set(update_fields):
        return
    instance._credentials_before = User.objects.filter(pk=instance.pk).values_list("password", "is_active").first()


@receiver(post_save, sender=User)
def on_credentials_saved(sender, instance: User, **kwargs):
    before, instance._credentials_before = getattr(instance, "_credentials_before", None), None
    if before is None:
        return
    password, was_active = before
    disabled = was_active and not instance.is_active
    if disabled or password != instance.password:
        end_sessions_for_credential_change(instance, disabled=disabled)


@receiver(pre_save, sender=PartnerSite)
def remember_site_state(sender, instance: PartnerSite, raw=False, **kwargs):
    instance._was_active = (
        not raw and instance.pk is not None and PartnerSite.objects.filter(pk=instance.pk, is_active=True).exists()
    )


@receiver(post_save, sender=PartnerSite)
def on_site_disabled(sender, instance: PartnerSite, **kwargs):
    # DESIGN.md section 5: a disabled site's grants end as a withdrawn consent's do.
    if getattr(instance, "_was_active", False) and not instance.is_active:
        end_site_grant(instance, sessions_signed_in_to(instance), GrantEndReason.SITE_DISABLED, notify=True)


@receiver(post_save, sender=PartnerSite)
@receiver(post_delete, sender=PartnerSite)
def on_site_changed(sender, instance, **kwargs):
    # A deactivated site or a new client secret must take effect at once; and
    # again after commit, since a request may re-cache the old row meanwhile.
    forget_cached_registry(instance)
    transaction.on_commit(lambda: forget_cached_registry(instance))
