"""Profile 1: migrating sessions from the legacy identity provider.

The app presents the user's long-lived legacy refresh token; we check it at the
legacy provider (RFC 7662), map its subject to our account, consume it exactly
once, and start a new SSO session with our own tokens. What it buys is bounded
by what the legacy token allowed: only the successor of the legacy client it
was issued to (``PartnerSite.legacy_client_ids``) may migrate it, and only for
scopes within the legacy token's (RFC 6749 section 6, RFC 8693 section 2.1).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.conf import sso_settings
from accounts.models import SSOSession, token_digest
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.issuance import issue_tokens
from accounts.oauth.token_request import TokenRequest
from tokenexchange import legacy_idp
from tokenexchange.legacy_accounts import linked_user
from tokenexchange.models import ConsumedLegacyToken
from tokenexchange.request import ExchangeRequest, unsupported_token_type
from tokenexchange.response import exchange_response


def _check_introspection(info: dict) -> str:
    """The legacy subject, if the legacy provider vouches for this refresh token."""
    if info.get("active") is not True:
        raise invalid_request("The legacy token is inactive or unknown at the legacy provider.")
    if info.get("token_type") not in (None, "refresh_token"):
        raise invalid_request("The legacy token is not a refresh token.")
    exp = info.get("exp")
    if isinstance(exp, (int, float)) and exp <= timezone.now().timestamp():
        raise invalid_request("The legacy token has expired.")
    if info.get("iss") != settings.LEGACY_IDP["ISSUER"]:
        raise invalid_request("The legacy token was issued by another provider.")
    sub = info.get("sub")
    if not isinstance(sub, str) or not sub:
        raise invalid_request("The legacy provider did not name the token's subject.")
    return sub


def _bounded_scopes(exchange: ExchangeRequest, info: dict) -> list[str]:
    """The scopes of the migrated session: those asked for, or by default all the legacy
    token had, never beyond the legacy token's or what this client may have."""
    if info.get("client_id") not in exchange.site.legacy_client_ids:
        raise invalid_request("The legacy token was issued to a client this client does not succeed.")
    legacy_scope = info.get("scope")
    if not isinstance(legacy_scope, str):
        raise invalid_request("The legacy provider did not state the token's scope.")
    grantable = set(legacy_scope.split()) & set(exchange.site.allowed_scopes) - {"device_sso"}
    if exchange.scopes is None:
        scopes = [scope for scope in legacy_scope.split() if scope in grantable]
    else:
        scopes = list(exchange.scopes)
    if not scopes or not set(scopes) <= grantable:
        raise OAuthError("invalid_scope", "The requested scope exceeds what the legacy token allowed.")
    return scopes


def exchange_legacy_refresh_token(exchange: ExchangeRequest, token_request: TokenRequest) -> dict:
    if not legacy_idp.is_configured():
        raise unsupported_token_type("No legacy identity provider is configured for refresh-token migration.")
    if exchange.resources or exchange.audiences not in ((), (sso_settings().issuer,)):
        raise OAuthError("invalid_target", "Migrated sessions are only issued by this provider.")
    site = exchange.site
    if exchange.scopes is not None and not set(exchange.scopes) <= set(site.allowed_scopes) - {"device_sso"}:
        raise OAuthError("invalid_scope", "The requested scope is not allowed for this client.")

    digest = token_digest(exchange.subject_token)
    if ConsumedLegacyToken.objects.filter(token_hash=digest).exists():
        raise invalid_request("The legacy token was already exchanged (replay).")
    try:
        info = legacy_idp.introspect_refresh_token(exchange.subject_token)
    except legacy_idp.LegacyProviderUnavailable:
        raise OAuthError(
            "temporarily_unavailable", "The legacy identity provider cannot be reached; try again later.", status=503
        ) from None
    legacy_sub = _check_introspection(info)
    scopes = _bounded_scopes(exchange, info)
    user = linked_user(legacy_sub)
    if user is None:
        raise invalid_request("The legacy account is not linked to an account here.")
    if not user.is_active:
        raise invalid_request("The linked account is disabled.")

    try:
        with transaction.atomic():
            # The unique digest makes concurrent exchanges of one token race for a
            # single row: exactly one commits, the others fail here.
            ConsumedLegacyToken.objects.create(token_hash=digest, user=user, site=site)
            session = SSOSession.objects.create(user=user, network_id=token_request.network_id)
            issued = issue_tokens(
                site=site, sso_session=session, scopes=scopes, grant="token-exchange:legacy_migration"
            )
            transaction.on_commit(lambda: legacy_idp.revoke_refresh_token(exchange.subject_token))
    except IntegrityError:
        raise invalid_request("The legacy token was already exchanged (replay).") from None
    return exchange_response(issued, exchange)
