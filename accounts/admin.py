"""Admin console for user audit: PII masked, for everyone, until a staff member holding
``accounts.view_pii`` reveals one account's (an explicit POST, written to the audit log)."""

from __future__ import annotations

import time
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.audit import EventType, record_event
from accounts.models import AuditEvent, OutboxMessage, PartnerSite, SSOSession, StoredSigningKey, User
from accounts.models.sites import origin_of
from accounts.oauth.keyring import ensure_signing_key
from accounts.oauth.registry import new_client_secret
from accounts.outbox import attempt_delivery
from accounts.pii.blind_index import email_index
from accounts.pii.masking import mask_email, mask_name
from accounts.privacy.erasure import ErasureReason, ErasureRefused, erase_account
from accounts.sessions import EndReason, changing_credentials, end_sso_session

VIEW_PII = "accounts.view_pii"
PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")
REVEALED = "admin_pii_revealed"  # in the staff member's session: account id -> until when (epoch seconds)
REVEAL_SECONDS = 300


def pii_revealed(request, user_id) -> bool:
    """Whether this staff member revealed this account's PII in the last few minutes (an
    explicit, audited POST): until then even a holder of view_pii sees it masked."""
    until = request.session.get(REVEALED, {}).get(str(user_id), 0)
    return request.user.has_perm(VIEW_PII) and until > time.time()


class UniqueEmailMixin:
    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        others = User.objects.filter(email_index=email_index(email))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class UserCreationAdminForm(UniqueEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserChangeAdminForm(UniqueEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class EraseAccountAdminForm(forms.Form):
    # The owner's own request is the account page's to record; staff give theirs.
    reason = forms.ChoiceField(choices=[("", "---------")] + ErasureReason.choices[1:])
    confirm = forms.BooleanField(
        label="Erase this account for good: its sessions end and every partner site it used is told",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = ("short_id", "masked_email", "masked_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ()  # custom: exact email through the blind index, or the account id
    search_help_text = "Exact email address (case-insensitive) or account id."
    ordering = ("-date_joined",)
    readonly_fields = ("id", "last_login", "date_joined", "email_verified_at", "masked_email", "masked_name")
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)
    # Plain multiple selects: the admin's two-box widget marks up its icons with ARIA that
    # browsers' accessibility trees refuse (axe-core: aria-prohibited-attr).
    filter_horizontal = ()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        personal = ("email", "name") if pii_revealed(request, obj.pk) else ("masked_email", "masked_name")
        return (
            (None, {"fields": ("id", *personal, "password")}),
            ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
            ("Dates", {"fields": ("last_login", "date_joined", "email_verified_at")}),
        )

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            obj.email_verified_at = None  # an address typed by staff is not proved by its owner
        super().save_model(request, obj, form, change)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(email_index=email_index(term)), False

    def get_search_fields(self, request):
        return ("email_index",)  # only so the admin shows the search box

    @admin.display(description="id")
    def short_id(self, obj):
        return str(obj.pk)[:8]

    @admin.display(description="email")
    def masked_email(self, obj):
        return mask_email(obj.email)

    @admin.display(description="name")
    def masked_name(self, obj):
        return mask_name(obj.name)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            # Only a superuser hands out powers: a staff member with change_user
            # must not grant itself (or anyone) view_pii, a group or superuser status.
            fields = (*fields, *PRIVILEGE_FIELDS)
        return fields

    def has_change_permission(self, request, obj=None):
        # A staff member who may change users may not take over a superuser's account
        # (its password, its e-mail address) without being one.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # accounts are erased one by one, each with its reason
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        """Erasure, not a row deletion: the same ``erase_account`` as the owner's, with a reason, audited."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, user):
            raise PermissionDenied
        form = EraseAccountAdminForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                erase_account(user, form.cleaned_data["reason"], actor=request.user, request=request)
            except ErasureRefused:
                form.add_error(None, "This is the only active superuser: make another account superuser first.")
            else:
                self.message_user(request, "The account was erased; its partner sites are being told.")
                return redirect("admin:accounts_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase account",
            "opts": self.opts,
            "original": user if pii_revealed(request, user.pk) else MaskedAccount(user),
            "form": form,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/accounts/user/erase.html", context, status=status)

    def delete_model(self, request, obj):
        raise PermissionDenied("accounts are erased through erase_account, never deleted as rows")

    def delete_queryset(self, request, queryset):
        raise PermissionDenied("accounts are erased through erase_account, never deleted as rows")

    def get_urls(self):
        reveal = path(
            "<path:object_id>/reveal/", self.admin_site.admin_view(self.reveal_view), name="accounts_user_reveal"
        )
        return [reveal, *super().get_urls()]

    def reveal_view(self, request, object_id):
        """POST only, for holders of view_pii: the account's e-mail and name are shown (and
        editable) for a few minutes, and the reveal is an audit event."""
        user = self.get_object(request, unquote(object_id))
        if request.method != "POST" or user is None or not request.user.has_perm(VIEW_PII):
            raise PermissionDenied
        record_event(EventType.ADMIN_VIEWED_PII, user=user, actor=request.user, request=request)
        revealed = {key: until for key, until in request.session.get(REVEALED, {}).items() if until > time.time()}
        request.session[REVEALED] = {**revealed, str(user.pk): time.time() + REVEAL_SECONDS}
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:accounts_user_change", args=[user.pk])
        return redirect(back)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_reveal": request.user.has_perm(VIEW_PII) and obj is not None,
            "revealed": obj is not None and pii_revealed(request, obj.pk),
        }
        with changing_credentials(request):  # a password or is_active changed here ends the user's sessions
            return super().change_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        with changing_credentials(request):
            response = super().user_change_password(request, id, form_url)
        if isinstance(response, TemplateResponse) and not pii_revealed(request, unquote(id)):
            # The page names the account by its username, the e-mail address: masked.
            user = response.context_data["original"]
            masked = MaskedAccount(user)
            response.context_data["title"] = response.context_data["title"].replace(
                escape(user.get_username()), escape(masked.get_username())
            )
            response.context_data["original"] = masked
        return response


class MaskedAccount:
    """Stands in for an account on an admin page shown to staff without view_pii."""

    def __init__(self, user: User):
        self.pk = user.pk
        self._label = str(user)
        self._masked_email = mask_email(user.email)

    def get_username(self) -> str:
        return self._masked_email

    def __str__(self) -> str:
        return self._label


class SuperuserOnlyGroupAdmin(GroupAdmin):
    """Groups carry permissions (view_pii among them): only superusers manage them."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


admin.site.unregister(Group)
admin.site.register(Group, SuperuserOnlyGroupAdmin)


@admin.register(SSOSession)
class SSOSessionAdmin(admin.ModelAdmin):
    list_display = ("short_sid", "account", "device", "started_at", "last_used_at", "ended_at", "end_reason")
    list_filter = ("end_reason", ("ended_at", admin.EmptyFieldListFilter), "started_at")
    readonly_fields = [field.name for field in SSOSession._meta.fields]
    list_select_related = ("user",)
    actions = ["terminate"]
    search_help_text = "The account's exact email address (case-insensitive), its id, or a sid."

    @admin.display(description="sid")
    def short_sid(self, obj):
        return obj.sid[:8]

    @admin.display(description="account")
    def account(self, obj):
        return f"{mask_email(obj.user.email)} ({str(obj.user_id)[:8]})"

    def get_search_fields(self, request):
        return ("sid",)  # only so the admin shows the search box

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(user_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(Q(user__email_index=email_index(term)) | Q(sid=term)), False

    @admin.action(description="Terminate selected SSO sessions", permissions=["change"])
    def terminate(self, request, queryset):
        ended = sum(
            end_sso_session(s, EndReason.ADMIN_TERMINATED, actor=request.user, request=request)
            for s in queryset.active()
        )
        self.message_user(request, f"{ended} session(s) terminated.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to staff, changed only by the code that owns the rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "event_type", "user_link", "actor", "client_id", "short_sid", "network_id")
    list_filter = ("event_type", "occurred_at")
    date_hierarchy = "occurred_at"
    search_fields = ("=user__id", "=sid")
    search_help_text = "Account id or sid (exact)."
    list_select_related = ("user", "actor")

    @admin.display(description="user")
    def user_link(self, obj):
        return str(obj.user) if obj.user_id else "—"

    @admin.display(description="sid")
    def short_sid(self, obj):
        return obj.sid[:8]


@admin.register(PartnerSite)
class PartnerSiteAdmin(admin.ModelAdmin):
    list_display = (
        "client_id",
        "name",
        "client_type",
        "subject_type",
        "first_party",
        "vendor_group",
        "native_sso",
        "is_active",
    )
    list_filter = ("client_type", "subject_type", "first_party", "native_sso", "is_active")
    search_fields = ("client_id", "name")
    readonly_fields = ("client_secret_hash", "allowed_cors_origins", "created_at", "updated_at")
    actions = ["new_client_secret"]
    # An address typed without a scheme is an https one (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        obj.allowed_cors_origins = sorted({origin_of(uri) for uri in obj.redirect_uris})
        super().save_model(request, obj, form, change)  # evicts the cached copies (accounts.signals)
        ensure_signing_key(obj.id_token_signed_response_alg)

    @admin.action(description="Generate a new client secret (shown once)", permissions=["change"])
    def new_client_secret(self, request, queryset):
        for site in queryset.filter(client_type=PartnerSite.ClientType.CONFIDENTIAL):
            secret = new_client_secret()
            site.set_client_secret(secret)
            site.save(update_fields=["client_secret_hash", "updated_at"])
            self.message_user(
                request,
                f"New secret for {site.client_id}: {secret}  (copy it now; only its hash is kept)",
                messages.WARNING,
            )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "site",
        "kind",
        "short_sid",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    )
    list_filter = ("status", "kind", "site")
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry_now"]

    @admin.display(description="sid")
    def short_sid(self, obj):
        return obj.sid[:8]

    @admin.action(description="Retry delivery now", permissions=["change"])
    def retry_now(self, request, queryset):
        delivered = sum(attempt_delivery(d.pk) for d in queryset.filter(status=OutboxMessage.Status.PENDING))
        self.message_user(request, f"{delivered} delivered.", messages.INFO)

    def has_add_permission(self, request):
        return False


@admin.register(StoredSigningKey)
class StoredSigningKeyAdmin(ReadOnlyAdmin):
    """The ring as every node sees it; read-only: `rotate_signing_key` is the one way to change it."""

    list_display = ("kid", "algorithm", "created_at", "retired_at")
    list_filter = ("algorithm",)
    fields = ("kid", "algorithm", "created_at", "retired_at", "public_jwk")  # never the sealed private key
    readonly_fields = fields
