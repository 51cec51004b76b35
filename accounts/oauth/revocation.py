"""Token revocation (RFC 7009) and introspection (RFC 7662), both client-authenticated."""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.audit import EventType, record_event
from accounts.models import RefreshTokenRecord
from accounts.oauth import denylist
from accounts.oauth.access import InvalidAccessToken, check_access_token
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.token_lookup import ACCESS, REFRESH, identify_token
from accounts.oauth.token_request import TokenRequest
from accounts.site_grants import GrantEndReason, end_site_grant

HINTS = {ACCESS, REFRESH}


def _token_param(params: QueryDict) -> str:
    raw = params.get("token")
    if not raw:
        raise invalid_request("token is required")
    return raw


def revoke_token(request: TokenRequest) -> None:
    """RFC 7009 section 2.1. An invalid or unknown token is not an error, nor is another
    client's token, which is left as it is (section 2.2: the answer tells nothing)."""
    site = request.site
    found = identify_token(_token_param(request.params))
    if found is None:
        return
    kind, token = found
    if token.get("client_id") != site.client_id:
        return
    if kind == ACCESS:
        denylist.deny_access_token(token["jti"], datetime_from_epoch(token["exp"]))
        record_event(EventType.TOKEN_REVOKED, client_id=site.client_id, token_type=kind)
        return
    with transaction.atomic():
        record = (
            RefreshTokenRecord.objects.select_for_update()
            .select_related("sso_session__user")
            .filter(outstanding__jti=token["jti"], site=site)
            .first()
        )
        if record is None:
            return
        BlacklistedToken.objects.get_or_create(token_id=record.outstanding_id)
        record_event(EventType.TOKEN_REVOKED, client_id=site.client_id, sid=record.sso_session.sid, token_type=kind)
        # Section 2.1: the access tokens of the same grant go with it, and so does the
        # rest of its refresh-token chain. The client asked, so it is not told again.
        end_site_grant(site, [record.sso_session], GrantEndReason.REFRESH_TOKEN_REVOKED, notify=False)


def _refresh_token_active(token) -> bool:
    record = RefreshTokenRecord.objects.select_related("sso_session").filter(outstanding__jti=token["jti"]).first()
    return not (
        record is None
        or record.rotated_at is not None
        or not record.sso_session.is_active
        or BlacklistedToken.objects.filter(token_id=record.outstanding_id).exists()
    )


def introspect_token(request: TokenRequest) -> dict[str, object]:
    """RFC 7662 section 2.2. A site learns about its own tokens only."""
    site, params = request.site, request.params
    if not site.is_confidential:
        # Section 2.1: the endpoint needs real client authentication, which a
        # public client (client_id only) cannot give.
        raise OAuthError("invalid_client", "Introspection needs a confidential client.", status=401)
    found = identify_token(_token_param(params))
    inactive = {"active": False}
    if found is None:
        return inactive
    kind, token = found
    if token.get("client_id") != site.client_id:
        return inactive
    if kind == ACCESS:
        if "sid" in token:
            try:
                check_access_token(token, audience=str(token.get("aud")))
            except InvalidAccessToken:
                return inactive
        elif denylist.access_token_revoked(token["jti"]):  # the client's own client_credentials token
            return inactive
    elif not _refresh_token_active(token):
        return inactive
    body: dict[str, object] = {"active": True}
    if kind == ACCESS:
        body["token_type"] = "Bearer"  # section 2.2 names RFC 6749 section 7.1's types; a refresh token has none
    for claim in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "sid", "act"):
        if claim in token:
            body[claim] = token[claim]
    return body
