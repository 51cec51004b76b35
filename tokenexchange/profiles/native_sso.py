"""Profile 2: OpenID Connect Native SSO for Mobile Apps 1.0 (draft 07), section 4.

A second app of the same vendor exchanges the shared ID token (subject) and
device secret (actor) for its own tokens on the same SSO session.
"""

from __future__ import annotations

import hmac

from accounts.conf import sso_settings
from accounts.models import PartnerSite, SSOSession
from accounts.oauth.authorize import needs_consent_for
from accounts.oauth.claims import token_hash
from accounts.oauth.errors import OAuthError, invalid_grant, invalid_request
from accounts.oauth.issuance import issue_tokens
from accounts.oauth.registry import active_site
from accounts.oauth.sector_sid import internal_sid
from accounts.oauth.token_backend import unverified_header
from accounts.oauth.token_lookup import read_id_token_hint
from accounts.oauth.token_request import TokenRequest
from tokenexchange.device_secrets import live_device_secret
from tokenexchange.request import ExchangeRequest
from tokenexchange.response import exchange_response


def _same_vendor(first: PartnerSite | None, second: PartnerSite) -> bool:
    return (
        first is not None
        and first.native_sso
        and second.native_sso
        and bool(second.vendor_group)
        and first.vendor_group == second.vendor_group
    )


def exchange_native_sso(exchange: ExchangeRequest, token_request: TokenRequest) -> dict:
    site = exchange.site
    if not site.native_sso:
        raise OAuthError("unauthorized_client", "This client is not allowed native SSO.")
    # Section 4.1: the audience is the authorization server's issuer, and required.
    if not exchange.audiences:
        raise invalid_request("audience (the issuer) is required for native SSO")
    if exchange.audiences != (sso_settings().issuer,) or exchange.resources:
        raise OAuthError("invalid_target", "The audience of a native SSO exchange is this issuer.")

    # Section 4.3, in order: the device secret, the ID token, their binding, the session, the clients.
    device_secret = live_device_secret(exchange.actor_token)
    if device_secret is None:
        raise invalid_request("The device secret is invalid, expired or revoked.")
    # The ID token may have expired (the device secret and the session carry the
    # liveness); its signature, issuer and kind must hold.
    claims = read_id_token_hint(exchange.subject_token)
    if claims is None:
        raise invalid_request("subject_token is not an ID token issued by this server.")
    algorithm = unverified_header(exchange.subject_token).get("alg", "")  # already verified above
    ds_hash = str(claims.get("ds_hash", ""))
    if not ds_hash or not hmac.compare_digest(ds_hash, token_hash(exchange.actor_token, algorithm)):
        raise invalid_request("ds_hash in the ID token does not match the device secret.")
    first_app = active_site(str(claims.get("aud") or ""))
    if not _same_vendor(first_app, site):
        raise invalid_request("The ID token was issued to an app outside this client's vendor group.")
    session: SSOSession = device_secret.sso_session
    # The ID token names the session as the first app's sector sees it (OIDC Core 17.3).
    if internal_sid(claims.get("sid"), first_app) != session.sid:
        raise invalid_request("The device secret belongs to another session.")
    if not session.is_active or not session.user.is_active:
        raise invalid_grant("The session of this device has ended.")  # section 4.3: invalid_grant

    scopes = list(exchange.scopes) if exchange.scopes is not None else ["openid"]
    if "openid" not in scopes:
        raise OAuthError("invalid_scope", "The scope of a native SSO exchange must include openid.")
    if not set(scopes) <= set(site.allowed_scopes):
        raise OAuthError("invalid_scope", "The requested scope exceeds what this client may have.")
    if needs_consent_for(site, session.user, set(scopes)):
        raise OAuthError("interaction_required", "The user has not allowed this app these scopes yet.")

    issued = issue_tokens(
        site=site,
        sso_session=session,
        scopes=scopes,
        grant="token-exchange:native_sso",
        params={"device_secret": exchange.actor_token},
    )
    return exchange_response(issued, exchange)
