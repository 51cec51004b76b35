"""RFC 8693 section 2.1: the token-exchange request, parsed once into a typed object."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from accounts.models import PartnerSite
from accounts.oauth.errors import OAuthError, invalid_request

ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
DEVICE_SECRET = "urn:openid:params:token-type:device-secret"
# Native SSO drafts before 07 named it so; accepted on input, never emitted.
DEVICE_SECRET_EARLY_DRAFT = "urn:x-oath:params:oauth:token-type:device-secret"

KNOWN_TOKEN_TYPES = {ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, DEVICE_SECRET}
MAX_TOKEN_LENGTH = 8192


def unsupported_token_type(description: str) -> OAuthError:
    return OAuthError("unsupported_token_type", description)


@dataclass(frozen=True)
class ExchangeRequest:
    site: PartnerSite
    subject_token: str
    subject_token_type: str
    actor_token: str
    actor_token_type: str
    audiences: tuple[str, ...]
    resources: tuple[str, ...]
    scopes: tuple[str, ...] | None
    requested_token_type: str

    @classmethod
    def parse(cls, site: PartnerSite, params: QueryDict) -> "ExchangeRequest":
        subject_token, subject_type = params.get("subject_token", ""), params.get("subject_token_type", "")
        actor_token, actor_type = params.get("actor_token", ""), params.get("actor_token_type", "")
        if not subject_token or not subject_type:
            raise invalid_request("subject_token and subject_token_type are required")
        if bool(actor_token) != bool(actor_type):
            raise invalid_request("actor_token and actor_token_type go together")
        if len(subject_token) > MAX_TOKEN_LENGTH or len(actor_token) > MAX_TOKEN_LENGTH:
            raise invalid_request("token too long")
        if actor_type == DEVICE_SECRET_EARLY_DRAFT:
            actor_type = DEVICE_SECRET
        for token_type in filter(None, (subject_type, actor_type)):
            if token_type not in KNOWN_TOKEN_TYPES:
                raise unsupported_token_type(f"token type not supported: {token_type}")
        requested = params.get("requested_token_type", "")
        if requested and requested != ACCESS_TOKEN:
            raise unsupported_token_type("only access tokens can be requested")
        scope = params.get("scope")
        return cls(
            site=site,
            subject_token=subject_token,
            subject_token_type=subject_type,
            actor_token=actor_token,
            actor_token_type=actor_type,
            audiences=tuple(a for a in params.getlist("audience") if a),
            resources=tuple(r for r in params.getlist("resource") if r),
            scopes=tuple(dict.fromkeys(scope.split())) if scope is not None else None,
            requested_token_type=requested or ACCESS_TOKEN,
        )
