"""Token revocation (RFC 7009) and introspection (RFC 7662), both client-authenticated."""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.audit import EventType, record_event
from accounts.models import RefreshTokenRecord
from accounts.oauth import denylist
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.token_lookup import ACCESS, REFRESH, identify_token
from accounts.oauth.token_request import TokenRequest

HINTS = {ACCESS, REFRESH}


def _token_param(params: QueryDict) -> str:
    raw = params.get("token")
    if not raw:
        raise invalid_request("token is required")
    return raw


def revoke_token(request: TokenRequest) -> None:
    """RFC 7009 section 2.1. An invalid or unknown token is not an error (2.2)."""
    site = request.site
    found = identify_token(_token_param(request.params))
    if found is None:
        return
    kind, token = found
    if token.get("client_id") != site.client_id:
        raise OAuthError("unauthorized_client", "The token was not issued to this client.")
    if kind == ACCESS:
        denylist.deny_access_token(token["jti"], datetime_from_epoch(token["exp"]))
    else:
        with transaction.atomic():
            record = RefreshTokenRecord.objects.select_for_update().filter(outstanding__jti=token["jti"]).first()
            if record is None:
                return
            BlacklistedToken.objects.get_or_create(token_id=record.outstanding_id)
    record_event(EventType.TOKEN_REVOKED, client_id=site.client_id, sid=token.get("sid", ""), token_type=kind)


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
        if denylist.access_token_denied(token["jti"], token.get("sid", "")):
            return inactive
    else:
        record = RefreshTokenRecord.objects.select_related("sso_session").filter(outstanding__jti=token["jti"]).first()
        if (record is None or record.rotated_at is not None or not record.sso_session.is_active
                or BlacklistedToken.objects.filter(token_id=record.outstanding_id).exists()):
            return inactive
    body = {"active": True, "token_type": kind}
    for claim in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "sid"):
        if claim in token:
            body[claim] = token[claim]
    return body
