"""Token-endpoint grant handlers: one function per grant_type.

Each runs in one transaction with the code or refresh token row locked, so
two concurrent requests cannot both redeem the same credential. Where a
failure must also revoke something (a reused code or refresh token), the
revocation is committed first and the error raised afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.audit import EventType, record_event
from accounts.models import AuthorizationCode, RefreshTokenRecord, token_digest
from accounts.oauth import denylist
from accounts.oauth.errors import OAuthError, invalid_grant, invalid_request
from accounts.oauth.issuance import issue_tokens
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSORefreshToken
from accounts.sessions import EndReason, end_sso_session

CODE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 section 4.1


def _required(params: QueryDict, name: str) -> str:
    value = params.get(name)
    if not value:
        raise invalid_request(f"{name} is required")
    return value


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


def grant_authorization_code(request: TokenRequest) -> dict[str, object]:
    """RFC 6749 section 4.1.3 with PKCE (RFC 7636 section 4.6)."""
    site, params = request.site, request.params
    code = _required(params, "code")
    redirect_uri = _required(params, "redirect_uri")
    verifier = _required(params, "code_verifier")
    if not CODE_VERIFIER.match(verifier):
        raise invalid_request("code_verifier must be 43 to 128 unreserved characters")

    reused = False
    with transaction.atomic():
        row = (AuthorizationCode.objects.select_for_update()
               .select_related("sso_session__user").filter(code_hash=token_digest(code)).first())
        if row is None or row.site_id != site.pk:
            raise invalid_grant("The authorization code is invalid.")
        if row.used_at is not None:
            # RFC 6749 section 4.1.2: revoke what the first redemption issued.
            if row.issued_refresh_id:
                BlacklistedToken.objects.get_or_create(token_id=row.issued_refresh_id)
            if row.issued_access_jti:
                denylist.deny_access_token(row.issued_access_jti)
            record_event(EventType.AUTHORIZATION_CODE_REUSE, user=row.user, client_id=site.client_id,
                         sid=row.sso_session.sid)
            reused = True
        else:
            if row.expires_at <= timezone.now():
                raise invalid_grant("The authorization code has expired.")
            if row.redirect_uri != redirect_uri:
                raise invalid_grant("redirect_uri does not match the authorization request.")
            if not _pkce_matches(verifier, row.code_challenge):
                raise invalid_grant("code_verifier does not match the code_challenge.")
            session = row.sso_session
            if not session.is_active or not session.user.is_active:
                raise invalid_grant("The sign-in session has ended.")
            issued = issue_tokens(site=site, sso_session=session, scopes=row.scope.split(),
                                  grant="authorization_code", nonce=row.nonce,
                                  presented_device_secret=params.get("device_secret"))
            row.used_at = timezone.now()
            row.issued_refresh = issued.refresh_outstanding
            row.issued_access_jti = issued.access_jti
            row.save(update_fields=["used_at", "issued_refresh", "issued_access_jti"])
    if reused:
        raise invalid_grant("The authorization code was already used; its tokens are revoked.")
    return issued.response_body()


def grant_refresh_token(request: TokenRequest) -> dict[str, object]:
    """RFC 6749 section 6 with rotation; reuse of a rotated token ends the
    SSO session (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2)."""
    site, params = request.site, request.params
    raw = _required(params, "refresh_token")
    try:
        token = SSORefreshToken(raw)
    except TokenError:
        raise invalid_grant("The refresh token is invalid or expired.") from None

    reused_session = None
    with transaction.atomic():
        # One query: the record, its session and user, and whether it is blacklisted.
        record = (RefreshTokenRecord.objects.select_for_update(of=("self",))
                  .select_related("sso_session__user")
                  .annotate(blacklisted=Exists(BlacklistedToken.objects.filter(token_id=OuterRef("outstanding_id"))))
                  .filter(outstanding__jti=token["jti"]).first())
        if record is None or record.site_id != site.pk:
            raise invalid_grant("The refresh token is invalid.")
        if record.rotated_at is not None:
            reused_session = record.sso_session
        else:
            if record.blacklisted:
                raise invalid_grant("The refresh token has been revoked.")
            session = record.sso_session
            if not session.is_active or not session.user.is_active:
                raise invalid_grant("The sign-in session has ended.")
            granted = record.scope.split()
            requested = params.get("scope", "").split() or granted
            if not set(requested) <= set(granted):
                raise OAuthError("invalid_scope", "The requested scope exceeds the scope originally granted.")
            record.rotated_at = timezone.now()
            record.save(update_fields=["rotated_at"])
            BlacklistedToken.objects.create(token_id=record.outstanding_id)
            scopes = [s for s in granted if s in requested]
            issued = issue_tokens(site=site, sso_session=session, scopes=scopes, grant="refresh_token",
                                  presented_device_secret=params.get("device_secret"),
                                  # OIDC Core 12.2: a refresh response may omit the ID token; it is
                                  # sent only where Native SSO needs its ds_hash.
                                  with_id_token="device_sso" in scopes, link_site=False)
    if reused_session is not None:
        record_event(EventType.REFRESH_TOKEN_REUSE, user=reused_session.user, client_id=site.client_id,
                     sid=reused_session.sid)
        end_sso_session(reused_session, EndReason.REFRESH_TOKEN_REUSE)
        raise invalid_grant("The refresh token was already used; the session has been ended.")
    return issued.response_body()
