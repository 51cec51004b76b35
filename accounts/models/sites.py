"""Partner sites (OAuth clients) and what users allowed them."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from accounts.models.sessions import SSOSession
from accounts.models.users import User
from sso_project.keys import SIGNING_ALGORITHMS

CLIENT_ID_VALIDATOR = RegexValidator(r"^[A-Za-z0-9._-]{1,100}$", "Use letters, digits, '.', '_' or '-'.")


def hash_client_secret(secret: str) -> str:
    # Client secrets are generated with 256 bits of entropy, so a fast hash is
    # enough (nothing to brute-force) and keeps the token endpoint cheap.
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


class PartnerSite(models.Model):
    class ClientType(models.TextChoices):
        CONFIDENTIAL = "confidential"
        PUBLIC = "public"

    class SubjectType(models.TextChoices):
        PUBLIC = "public"
        PAIRWISE = "pairwise"

    client_id = models.CharField(max_length=100, unique=True, validators=[CLIENT_ID_VALIDATOR])
    name = models.CharField(max_length=100)
    client_type = models.CharField(max_length=12, choices=ClientType.choices, default=ClientType.CONFIDENTIAL)
    client_secret_hash = models.CharField(max_length=80, blank=True, editable=False)
    redirect_uris = models.JSONField(default=list, help_text="Exact redirect URIs.")
    post_logout_redirect_uris = models.JSONField(default=list, blank=True)
    backchannel_logout_uri = models.URLField(blank=True)
    # RFC 8935 push receiver of Security Event Tokens: told account-purged when an
    # account the site knew is erased, and account-disabled when staff disable one
    # if it asked for that too.
    security_event_uri = models.URLField(blank=True, help_text="Push receiver of Security Event Tokens (RFC 8935).")
    account_disabled_events = models.BooleanField(
        default=False, help_text="Also told account-disabled when an administrator disables a user."
    )
    allowed_scopes = models.JSONField(default=list)
    allowed_cors_origins = models.JSONField(default=list, blank=True)
    subject_type = models.CharField(max_length=8, choices=SubjectType.choices, default=SubjectType.PUBLIC)
    first_party = models.BooleanField(default=False, help_text="Trusted site of ours: no consent page.")
    vendor_group = models.CharField(max_length=100, blank=True, help_text="Native apps of one vendor.")
    native_sso = models.BooleanField(
        default=False, help_text="May share sessions with its vendor group's apps (device_sso)."
    )
    resource_uri = models.URLField(
        blank=True, help_text="Identifier of this site's API as a token-exchange target (RFC 8707)."
    )
    # RFC 8693 section 5: which callers may obtain tokens for this site; none unless named.
    exchange_clients = models.JSONField(
        default=list, blank=True, help_text="client_ids that may exchange a user's token for one for this site."
    )
    delegation_actors = models.JSONField(
        default=list, blank=True, help_text="client_ids that may act for users at this site (RFC 8693 act)."
    )
    legacy_client_ids = models.JSONField(
        default=list, blank=True, help_text="Legacy provider client_ids whose refresh tokens this site may migrate."
    )
    # OpenID Connect Dynamic Client Registration section 2: what the site's tokens are signed with.
    id_token_signed_response_alg = models.CharField(
        max_length=10,
        choices=[(alg, alg) for alg in SIGNING_ALGORITHMS],
        default="RS256",
        help_text="Algorithm of the site's ID, access and logout tokens (RS256 is the OpenID default).",
    )
    require_verified_email = models.BooleanField(
        default=False, help_text="Users continue to this site only once their address is verified."
    )
    require_mfa = models.BooleanField(
        default=False, help_text="Users continue to this site only after a second factor."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "partner site"

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_confidential(self) -> bool:
        return self.client_type == self.ClientType.CONFIDENTIAL

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_hash = hash_client_secret(secret)

    def check_client_secret(self, secret: str) -> bool:
        return bool(self.client_secret_hash) and hmac.compare_digest(
            self.client_secret_hash, hash_client_secret(secret)
        )

    @property
    def sector_identifier(self) -> str:
        """OIDC Core 8.1: the host of the redirect URIs (pairwise subjects)."""
        hosts = sorted({urlsplit(uri).hostname or "" for uri in self.redirect_uris})
        return hosts[0] if hosts else self.client_id


class Consent(models.Model):
    """The user's 'Continue to <site>' for a set of scopes, remembered per site."""

    # Indexed by the unique constraint, which leads with it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents", db_index=False)
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="consents")
    scopes = models.JSONField(default=list)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="one_consent_per_user_and_site")]

    def covers(self, scopes: set[str]) -> bool:
        return scopes <= set(self.scopes)


class SessionSite(models.Model):
    """A partner site an SSO session signed in to: told by back-channel logout."""

    # Indexed by the unique constraint, which leads with it.
    sso_session = models.ForeignKey(SSOSession, on_delete=models.CASCADE, related_name="site_links", db_index=False)
    site = models.ForeignKey(PartnerSite, on_delete=models.CASCADE, related_name="+")
    first_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sso_session", "site"], name="one_link_per_session_and_site")]
