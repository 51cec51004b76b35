"""Registering partner sites (OAuth clients)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.conf import sso_settings
from accounts.models import PartnerSite
from accounts.models.sites import origin_of
from accounts.oauth.keyring import ensure_signing_key
from sso_project.keys import SIGNING_ALGORITHMS

CORS_CACHE_KEY = "sso:cors-origins"
FORM_ACTION_CACHE_KEY = "sso:form-action-origins"
CLIENT_IDS_CACHE_KEY = "sso:client-ids"
# Every token request authenticates its client, so site rows are cached: in the
# shared cache for a minute, and for two seconds in the process itself. Any save
# or delete through the ORM evicts both at once in the process that made it
# (accounts.signals) and the shared entry everywhere; other processes follow
# within LOCAL_SITE_SECONDS. A change made behind the ORM's back (raw SQL)
# takes effect within SITE_CACHE_SECONDS.
SITE_CACHE_SECONDS = 60
LOCAL_SITE_SECONDS = 2.0
_local_sites: dict[str, tuple[float, PartnerSite]] = {}


@dataclass
class SiteRegistration:
    client_id: str
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str = ""
    security_event_uri: str = ""
    account_disabled_events: bool = False
    public: bool = False
    subject_type: str = PartnerSite.SubjectType.PUBLIC
    first_party: bool = False
    scopes: list[str] = field(default_factory=list)
    client_secret: str | None = None  # from a secrets manager; None: generated when one is needed
    new_secret: bool = False  # replace the existing secret with a generated one
    vendor_group: str = ""
    native_sso: bool = False
    resource_uri: str = ""
    exchange_clients: list[str] = field(default_factory=list)
    delegation_actors: list[str] = field(default_factory=list)
    legacy_client_ids: list[str] = field(default_factory=list)
    signing_algorithm: str = "RS256"  # id_token_signed_response_alg, the OpenID default
    require_verified_email: bool = False
    require_mfa: bool = False


# A secret we generate is secrets.token_urlsafe(32): 43 characters, 256 bits.
MIN_SECRET_LENGTH = 43
SECRET_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")
MIN_DISTINCT_CHARACTERS = 20  # random 43-character secrets have about 31; "aaaa..." or "abcabc..." fewer


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def check_client_secret_strength(secret: str) -> None:
    """A secret given rather than generated must look as strong as a generated one
    (RFC 6749 section 10.10; RFC 9700 section 2.5): nobody can brute-force its hash."""
    if (
        len(secret) < MIN_SECRET_LENGTH
        or not SECRET_ALPHABET.match(secret)
        or len(set(secret)) < MIN_DISTINCT_CHARACTERS
    ):
        raise ValidationError(
            "a client secret needs 256 bits of entropy: at least 43 random URL-safe characters "
            "(as secrets.token_urlsafe(32) makes); leave it out to have one generated"
        )


def _check_uri(uri: str, what: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.fragment:
        raise ValidationError(f"{what} {uri!r} must be an absolute http(s) URI without a fragment")
    if (
        parts.scheme == "http"
        and parts.hostname not in {"localhost", "127.0.0.1", "::1"}
        and not parts.hostname.startswith("127.")
    ):
        raise ValidationError(f"{what} {uri!r} must use https (http only on loopback)")


def register_site(registration: SiteRegistration) -> tuple[PartnerSite, str | None]:
    """Create or update a site; returns it and its client secret when one was set now.

    A secret is generated when a confidential site is created without one, or
    on ``new_secret``; an update keeps the existing secret otherwise. A secret
    given must be as strong as a generated one.
    """
    if not registration.redirect_uris:
        raise ValidationError("at least one redirect URI is required")
    for uri in registration.redirect_uris:
        _check_uri(uri, "redirect URI")
    for uri in registration.post_logout_redirect_uris:
        _check_uri(uri, "post-logout redirect URI")
    if registration.backchannel_logout_uri:
        _check_uri(registration.backchannel_logout_uri, "back-channel logout URI")
    if registration.security_event_uri:
        _check_uri(registration.security_event_uri, "security event URI")
    elif registration.account_disabled_events:
        raise ValidationError("account-disabled events need a security event URI to push them to")
    known_scopes = set(sso_settings().scopes)
    # Only asked-for scopes beyond the everyday ones: device_sso and account_data are never a default.
    scopes = set(registration.scopes or known_scopes - {"device_sso", "account_data"})
    unknown = scopes - known_scopes
    if unknown:
        raise ValidationError(f"unknown scope(s): {', '.join(sorted(unknown))}")
    if registration.native_sso:
        if not registration.vendor_group:
            raise ValidationError("native SSO needs a vendor group (--vendor)")
        scopes |= {"openid", "device_sso"}
    elif "device_sso" in scopes:
        raise ValidationError("the device_sso scope needs --native-sso")
    if registration.resource_uri:
        _check_uri(registration.resource_uri, "resource URI")
    if registration.signing_algorithm not in SIGNING_ALGORITHMS:
        raise ValidationError(f"the signing algorithm must be one of {', '.join(SIGNING_ALGORITHMS)}")
    if registration.public and (registration.client_secret or registration.new_secret):
        raise ValidationError("a public client has no secret")
    if registration.client_secret is not None:
        check_client_secret_strength(registration.client_secret)

    with transaction.atomic():
        site = PartnerSite.objects.select_for_update().filter(client_id=registration.client_id).first()
        created = site is None
        site = site or PartnerSite(client_id=registration.client_id)
        site.name = registration.name
        site.client_type = PartnerSite.ClientType.PUBLIC if registration.public else PartnerSite.ClientType.CONFIDENTIAL
        site.redirect_uris = list(dict.fromkeys(registration.redirect_uris))
        site.post_logout_redirect_uris = list(dict.fromkeys(registration.post_logout_redirect_uris))
        site.backchannel_logout_uri = registration.backchannel_logout_uri
        site.security_event_uri = registration.security_event_uri
        site.account_disabled_events = registration.account_disabled_events
        site.allowed_scopes = sorted(scopes)
        site.allowed_cors_origins = sorted({origin_of(uri) for uri in site.redirect_uris})
        site.subject_type = registration.subject_type
        site.first_party = registration.first_party
        site.vendor_group = registration.vendor_group
        site.native_sso = registration.native_sso
        site.resource_uri = registration.resource_uri
        site.exchange_clients = sorted(set(registration.exchange_clients))
        site.delegation_actors = sorted(set(registration.delegation_actors))
        site.legacy_client_ids = sorted(set(registration.legacy_client_ids))
        site.id_token_signed_response_alg = registration.signing_algorithm
        site.require_verified_email = registration.require_verified_email
        site.require_mfa = registration.require_mfa
        secret = registration.client_secret
        if registration.public:
            site.client_secret_hash = ""
        elif secret is None and (created or registration.new_secret or not site.client_secret_hash):
            secret = new_client_secret()
        if secret is not None:
            site.set_client_secret(secret)
        site.full_clean()
        site.save()  # evicts the cached copies (accounts.signals)
    ensure_signing_key(site.id_token_signed_response_alg)  # the ring keeps a current key per algorithm in use
    return site, secret


def registered_client_ids() -> set[str]:
    client_ids = cache.get(CLIENT_IDS_CACHE_KEY)
    if client_ids is None:
        client_ids = set(PartnerSite.objects.filter(is_active=True).values_list("client_id", flat=True))
        cache.set(CLIENT_IDS_CACHE_KEY, client_ids, 60)
    return client_ids


def _site_cache_key(client_id: str) -> str:
    # Hashed: a client_id is caller input, and cache keys must stay short and plain.
    return "sso:site:" + hashlib.sha256(client_id.encode()).hexdigest()


def active_site(client_id: str | None) -> PartnerSite | None:
    """The active partner site registered under ``client_id``, or None."""
    if not client_id:
        return None
    now = time.monotonic()
    local = _local_sites.get(client_id)
    if local is not None and local[0] > now:
        return local[1]
    key = _site_cache_key(client_id)
    site = cache.get(key)
    if site is None:
        site = PartnerSite.objects.filter(client_id=client_id, is_active=True).first()
        if site is None:  # misses are not cached: unknown ids must not fill either cache
            return None
        cache.set(key, site, SITE_CACHE_SECONDS)
    _local_sites[client_id] = (now + LOCAL_SITE_SECONDS, site)
    return site


def forget_cached_registry(site: PartnerSite | None = None) -> None:
    keys = [CORS_CACHE_KEY, CLIENT_IDS_CACHE_KEY, FORM_ACTION_CACHE_KEY]
    _local_form_action[:] = [0.0, ()]
    if site is not None:
        keys.append(_site_cache_key(site.client_id))
        _local_sites.pop(site.client_id, None)
    else:
        _local_sites.clear()
    cache.delete_many(keys)


def allowed_cors_origins() -> set[str]:
    origins = cache.get(CORS_CACHE_KEY)
    if origins is None:
        origins = set()
        for site_origins in PartnerSite.objects.filter(is_active=True).values_list("allowed_cors_origins", flat=True):
            origins.update(site_origins)
        cache.set(CORS_CACHE_KEY, origins, 300)
    return origins


_local_form_action: list = [0.0, ()]  # [valid until (monotonic), origins]: this process's copy


def form_action_origins() -> tuple[str, ...]:
    """Origins a form on our pages may lead to: every active site's redirect and
    post-logout redirect URIs (the CSP's ``form-action``; a browser applies it to
    the redirects that follow a submission too)."""
    now = time.monotonic()
    if _local_form_action[0] > now:
        return _local_form_action[1]
    origins = cache.get(FORM_ACTION_CACHE_KEY)
    if origins is None:
        found = set()
        for redirects, after_logout in PartnerSite.objects.filter(is_active=True).values_list(
            "redirect_uris", "post_logout_redirect_uris"
        ):
            found.update(origin_of(uri) for uri in [*redirects, *after_logout])
        origins = tuple(sorted(found))
        cache.set(FORM_ACTION_CACHE_KEY, origins, SITE_CACHE_SECONDS)
    _local_form_action[:] = [now + LOCAL_SITE_SECONDS, origins]
    return origins
