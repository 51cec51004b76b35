"""Subjects and identity claims, released per site and per consented scope."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings

from accounts.factors.assurance import acr_for
from accounts.models import PartnerSite, User


def subject_for(user: User, site: PartnerSite) -> str:
    """``sub`` for this site: the account id, or a pairwise value (OIDC Core 8.1)
    that is stable for the site's sector and unlinkable across sectors."""
    if site.subject_type != PartnerSite.SubjectType.PAIRWISE:
        return str(user.pk)
    message = f"{site.sector_identifier}\x00{user.pk}".encode()
    digest = hmac.new(settings.PAIRWISE_SUBJECT_KEY.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def identity_claims(user: User, scopes: set[str]) -> dict[str, object]:
    claims: dict[str, object] = {}
    if "email" in scopes:
        # True only once the owner followed the link mailed to this very address.
        claims.update(email=user.email, email_verified=user.email_verified)
    if "profile" in scopes:
        claims["name"] = user.name
    return claims


def assurance_claims(sso_session) -> dict[str, object]:
    """``amr`` (RFC 8176) and ``acr`` of the session's last authentication (OIDC Core 2)."""
    methods = sso_session.auth_methods.split()
    return {"amr": methods, "acr": acr_for(methods)} if methods else {}


def token_hash(token: str, algorithm: str) -> str:
    """OIDC ``at_hash``: left half of the hash of the token, base64url.

    The hash is the one of the signing algorithm: SHA-256 for RS256/ES256,
    SHA-512 for EdDSA with Ed25519.
    """
    hasher = hashlib.sha512 if algorithm == "EdDSA" else hashlib.sha256
    digest = hasher(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
