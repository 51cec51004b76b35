"""The authorization endpoint's rules (OIDC Core 3.1.2, RFC 6749 4.1, RFC 7636).

``AuthorizationRequest.parse`` validates a request in the order the specs
require: until client_id and redirect_uri are known good, errors are shown on
a page and never redirected (an open redirector otherwise); after that, errors
go back to the site's redirect URI with ``state`` and ``iss`` (RFC 9207).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _

from accounts import store
from accounts.audit import EventType, record_event
from accounts.conf import sso_settings
from accounts.factors.assurance import ACR_MFA, satisfies
from accounts.models import Consent, PartnerSite, SSOSession, token_digest
from accounts.oauth.registry import active_site
from accounts.site_grants import GrantEndReason, end_site_grant

PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
PROMPTS = {"none", "login", "consent", "select_account"}
SINGLE_VALUED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "response_mode",
    "acr_values",
    "claims",
)


class AuthorizationPageError(Exception):
    """The request cannot be trusted to redirect anywhere: show a page."""


class AuthorizationRedirectError(Exception):
    """An RFC 6749 4.1.2.1 error for the (validated) redirect URI."""

    def __init__(self, request: "AuthorizationRequest", error: str, description: str):
        super().__init__(description)
        self.url = request.redirect_with({"error": error, "error_description": description})


@dataclass(frozen=True)
class AuthorizationRequest:
    site: PartnerSite
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    prompt: frozenset[str]
    max_age: int | None
    ui_locales: str = ""  # OIDC Core 3.1.2.1: the user's preferred languages, space-separated tags
    acr_values: tuple[str, ...] = ()  # OIDC Core 3.1.2.1: the classes the site asks for, preferred first
    essential_acr: tuple[str, ...] = ()  # OIDC Core 5.5.1.1: the acr claim requested as essential, its values
    claims: str = ""  # the claims parameter as sent, for the way back

    @classmethod
    def parse(cls, params: QueryDict) -> "AuthorizationRequest":
        for name in ("client_id", "redirect_uri"):
            if len(params.getlist(name)) > 1:
                raise AuthorizationPageError(_("The parameter %(name)s was sent more than once.") % {"name": name})
        client_id = params.get("client_id", "")
        site = active_site(client_id)
        if site is None:
            raise AuthorizationPageError(_("The site that sent you here is not registered with us."))
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in site.redirect_uris:
            raise AuthorizationPageError(
                _("%(site)s asked to send you to an address it has not registered.") % {"site": site.name}
            )

        draft = cls(site, redirect_uri, (), params.get("state", ""), "", "", frozenset(), None)
        fail = lambda error, description: AuthorizationRedirectError(draft, error, description)  # noqa: E731

        for name in SINGLE_VALUED:
            if len(params.getlist(name)) > 1:
                raise fail("invalid_request", f"{name} was sent more than once")
        if "request" in params or "request_uri" in params:
            raise fail("request_not_supported", "request objects are not supported")
        if params.get("response_type") != "code":
            raise fail("unsupported_response_type", "only response_type=code is supported")
        if params.get("response_mode", "query") != "query":
            raise fail("invalid_request", "only response_mode=query is supported")
        scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
        if not scopes:
            raise fail("invalid_scope", "scope is required")
        unknown = set(scopes) - set(site.allowed_scopes)
        if unknown:
            raise fail("invalid_scope", f"scope not allowed for this site: {' '.join(sorted(unknown))}")
        if params.get("code_challenge_method") != "S256" or not PKCE_CHALLENGE.match(params.get("code_challenge", "")):
            raise fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
        prompt = frozenset(params.get("prompt", "").split())
        if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
            raise fail("invalid_request", "prompt must be none, or any of login, consent, select_account")
        max_age = params.get("max_age")
        if max_age is not None:
            if not max_age.isdigit() or len(max_age) > 9:
                raise fail("invalid_request", "max_age must be a non-negative integer")
            max_age = int(max_age)
        nonce = params.get("nonce", "")
        if len(nonce) > 255 or len(draft.state) > 2048:
            raise fail("invalid_request", "nonce or state is too long")
        ui_locales = " ".join(params.get("ui_locales", "").split()[:10])[:200]
        acr_values = tuple(params.get("acr_values", "").split())
        if len(acr_values) > 10 or any(len(value) > 200 for value in acr_values):
            raise fail("invalid_request", "acr_values is too long")
        claims = params.get("claims", "")
        try:
            essential_acr = essential_acr_values(claims)
        except (ValueError, RecursionError):
            raise fail("invalid_request", "claims must be a JSON object (OIDC Core 5.5)")
        return cls(
            site,
            redirect_uri,
            scopes,
            draft.state,
            nonce,
            params["code_challenge"],
            prompt,
            max_age,
            ui_locales,
            acr_values,
            essential_acr,
            claims,
        )

    def language(self) -> str | None:
        """The first of ``ui_locales`` this provider speaks (``de-CH`` is German), if any."""
        for tag in self.ui_locales.split():
            try:
                return get_supported_language_variant(tag)
            except LookupError:
                continue
        return None

    def redirect_with(self, values: dict[str, str]) -> str:
        values = {**values, "iss": sso_settings().issuer}
        if self.state:
            values["state"] = self.state
        parts = urlsplit(self.redirect_uri)
        query = "&".join(filter(None, [parts.query, urlencode(values)]))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def as_params(self, *, authenticated: bool = False, account_chosen: bool = False) -> dict[str, str]:
        """The request as parameters; ``authenticated``: for the way back once the user has
        just signed in, without ``prompt=login`` and ``max_age``, which that sign-in
        satisfied (OIDC Core 3.1.2.1: authenticate now, once; kept, ``max_age=0``
        would send the user back to the login page forever), nor ``select_account``;
        ``account_chosen``: without ``select_account``, once the user chose."""
        params = {
            "client_id": self.site.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        done = {"login", "select_account"} if authenticated else {"select_account"} if account_chosen else set()
        prompt = self.prompt - done
        max_age = "" if self.max_age is None or authenticated else str(self.max_age)
        optional = {
            "state": self.state,
            "nonce": self.nonce,
            "prompt": " ".join(sorted(prompt)),
            "max_age": max_age,
            "ui_locales": self.ui_locales,
            "acr_values": " ".join(self.acr_values),
            "claims": self.claims,
        }
        params.update({name: value for name, value in optional.items() if value})
        return params


def needs_login(areq: AuthorizationRequest, sso_session: SSOSession | None) -> bool:
    if sso_session is None or "login" in areq.prompt:
        return True
    if areq.max_age is not None:
        return timezone.now() - sso_session.auth_time > timedelta(seconds=areq.max_age)
    return False


def essential_acr_values(claims: str) -> tuple[str, ...]:
    """The values of ``acr`` requested as an essential ID-token claim in the ``claims``
    parameter (OIDC Core 5.5.1.1), or ``()``; ValueError for a parameter that is not a
    JSON object. Other requested claims are released by scope alone."""
    if not claims:
        return ()
    if len(claims) > 4096:
        raise ValueError("claims too long")
    parsed = json.loads(claims)
    if not isinstance(parsed, dict):
        raise ValueError("claims is not an object")
    acr = (parsed.get("id_token") or {}).get("acr") if isinstance(parsed.get("id_token"), dict) else None
    if not isinstance(acr, dict) or acr.get("essential") is not True:
        return ()
    values = acr.get("values", [acr["value"]] if "value" in acr else [])
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ValueError("acr values must be a list of strings")
    return tuple(values[:10])


def needs_second_factor(areq: AuthorizationRequest, sso_session: SSOSession) -> bool:
    """The site asks for more than the session's sign-in proved: a second factor, by
    ``acr_values`` or an essential ``acr`` naming the multi-factor class, or by its
    registration (``require_mfa``)."""
    methods = sso_session.auth_methods.split()
    if areq.site.require_mfa:
        return not satisfies(methods, [ACR_MFA])
    for requested in (areq.essential_acr, areq.acr_values):
        if ACR_MFA in requested and not satisfies(methods, requested):
            return True
    return False


def unmet_essential_acr(areq: AuthorizationRequest, sso_session: SSOSession) -> bool:
    """An essential ``acr`` the session's sign-in does not meet: the request fails
    (OIDC Core 5.5.1.1) once no further factor can be asked for."""
    return bool(areq.essential_acr) and not satisfies(sso_session.auth_methods.split(), areq.essential_acr)


def needs_consent(areq: AuthorizationRequest, sso_session: SSOSession) -> bool:
    return "consent" in areq.prompt or needs_consent_for(areq.site, sso_session.user, set(areq.scopes))


def needs_consent_for(site: PartnerSite, user, scopes: set[str]) -> bool:
    """A site of ours (first party) needs no consent; any other needs one covering the scopes."""
    if site.first_party:
        return False
    consent = Consent.objects.filter(user=user, site=site).first()
    return consent is None or not consent.covers(scopes)


def grant_consent(areq: AuthorizationRequest, sso_session: SSOSession, request=None) -> None:
    consent, created = Consent.objects.get_or_create(
        user=sso_session.user, site=areq.site, defaults={"scopes": sorted(areq.scopes)}
    )
    if not created:
        consent.scopes = sorted(set(consent.scopes) | set(areq.scopes))
        consent.granted_at = timezone.now()
        consent.save(update_fields=["scopes", "granted_at"])
    record_event(
        EventType.CONSENT_GRANTED,
        user=sso_session.user,
        client_id=areq.site.client_id,
        request=request,
        scopes=sorted(areq.scopes),
    )


def withdraw_consent(consent: Consent, request=None) -> None:
    """The site's grant ends at once in every session of the user (its tokens,
    device secrets, a back-channel logout), and it must ask again (DESIGN.md section 5)."""
    with transaction.atomic():
        end_site_grant(
            consent.site,
            SSOSession.objects.active().filter(user=consent.user).select_related("user"),
            GrantEndReason.CONSENT_WITHDRAWN,
            notify=True,
            request=request,
        )
        record_event(EventType.CONSENT_WITHDRAWN, user=consent.user, client_id=consent.site.client_id, request=request)
        consent.delete()


def issue_code_if_consented(
    areq: AuthorizationRequest, sso_session: SSOSession, *, just_allowed: bool = False
) -> str | None:
    """The redirect carrying a new single-use code (stored as a digest, valid for a
    minute), or None (and nothing written) while the user has still to consent; one
    write on PostgreSQL (accounts.store). ``just_allowed``: the user allowed the site
    on the consent page a moment ago, which is what ``prompt=consent`` asked for."""
    if "consent" in areq.prompt and not just_allowed:
        return None
    code, now = secrets.token_urlsafe(32), timezone.now()
    written = store.current().insert_code_if_consented(
        store.NewCode(
            site=areq.site,
            sso_session=sso_session,
            scopes=tuple(areq.scopes),
            code_hash=token_digest(code),
            redirect_uri=areq.redirect_uri,
            nonce=areq.nonce,
            code_challenge=areq.code_challenge,
            created_at=now,
            expires_at=now + sso_settings().authorization_code_lifetime,
        )
    )
    return areq.redirect_with({"code": code}) if written.ok else None
