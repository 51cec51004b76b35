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
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.audit import EventType, record_event
from accounts.audit import logger as audit_logger
from accounts.joined_rows import JoinedRead, Part
from accounts.models import AuthorizationCode, RefreshTokenRecord, SSOSession, User, token_digest
from accounts.oauth import rotation, sql
from accounts.oauth.errors import OAuthError, invalid_grant, invalid_request
from accounts.oauth.issuance import issue_tokens, new_token_pair
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.recording import CodeNotRedeemed
from accounts.oauth.sector_sid import internal_sid
from accounts.oauth.signing_ahead import sign_ahead
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSORefreshToken
from accounts.sessions import EndReason, end_sso_session
from accounts.site_grants import GrantEndReason, end_site_grant

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

    if sql.one_statement_writes():
        return _redeem_in_one_statement(site, params, code, redirect_uri, verifier)
    return _redeem_through_orm(site, params, code, redirect_uri, verifier)


def _check_redeemable(row: AuthorizationCode, redirect_uri: str, verifier: str) -> None:
    if row.expires_at <= timezone.now():
        raise invalid_grant("The authorization code has expired.")
    if row.redirect_uri != redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request.")
    if not _pkce_matches(verifier, row.code_challenge):
        raise invalid_grant("code_verifier does not match the code_challenge.")
    if not row.sso_session.is_active or not row.sso_session.user.is_active:
        raise invalid_grant("The sign-in session has ended.")


_CODE, _SESSION, _USER = Part.of(AuthorizationCode, "c"), Part.of(SSOSession, "s"), Part.of(User, "u")
_CODE_BY_HASH = JoinedRead([_CODE, _SESSION, _USER], f"""
    FROM {_CODE.table} JOIN {_SESSION.table} ON s.id = c.sso_session_id JOIN {_USER.table} ON u.id = s.user_id
    WHERE c.code_hash = %s""")


def _redeem_in_one_statement(site, params: QueryDict, code: str, redirect_uri: str, verifier: str) -> dict[str, object]:
    # Read without a lock, check, sign; then one statement claims the code (locked,
    # and checked again) and records what it issued, or writes nothing.
    row = _CODE_BY_HASH.fetch_related([token_digest(code)], "sso_session", "user")
    if row is None or row.site_id != site.pk:
        raise invalid_grant("The authorization code is invalid.")
    if row.used_at is None:
        _check_redeemable(row, redirect_uri, verifier)
        try:
            issued = issue_tokens(site=site, sso_session=row.sso_session, scopes=row.scope.split(),
                                  grant="authorization_code", nonce=row.nonce,
                                  presented_device_secret=params.get("device_secret"), link_site=False,
                                  redeeming_code_id=row.pk)
        except CodeNotRedeemed:
            pass  # redeemed meanwhile, or its session ended: decided below, under the lock
        else:
            return issued.response_body()
    return _redeem_through_orm(site, params, code, redirect_uri, verifier)



def _redeem_through_orm(site, params: QueryDict, code: str, redirect_uri: str, verifier: str) -> dict[str, object]:
    reused = False
    with transaction.atomic():
        row = (AuthorizationCode.objects.select_for_update()
               .select_related("sso_session__user").filter(code_hash=token_digest(code)).first())
        if row is None or row.site_id != site.pk:
            raise invalid_grant("The authorization code is invalid.")
        if row.used_at is not None:
            # RFC 6749 section 4.1.2: revoke every token issued from the code, the
            # refresh tokens rotated from it and their access tokens included: the
            # site's whole grant in that session.
            record_event(EventType.AUTHORIZATION_CODE_REUSE, user=row.user, client_id=site.client_id,
                         sid=row.sso_session.sid)
            end_site_grant(site, [row.sso_session], GrantEndReason.AUTHORIZATION_CODE_REUSE, notify=True)
            reused = True
        else:
            _check_redeemable(row, redirect_uri, verifier)
            session = row.sso_session
            issued = issue_tokens(site=site, sso_session=session, scopes=row.scope.split(),
                                  grant="authorization_code", nonce=row.nonce,
                                  presented_device_secret=params.get("device_secret"), link_site=False)
            row.used_at = timezone.now()
            row.issued_refresh_id = issued.refresh_outstanding_id
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
    granted = str(token.get("scope", "")).split()
    requested = params.get("scope", "").split() or granted
    # Native SSO refreshes also mint an ID token and device secret, a scope error
    # must not pre-empt the reuse check, and the successors are signed from the
    # token's own sub and sid: anything else takes the general path.
    # A token from before sids were per sector (OIDC Core 17.3) takes the general
    # path too, whose successors carry the sector's sid.
    fast = ("device_sso" not in granted and set(requested) <= set(granted) and "sub" in token
            and internal_sid(token.get("sid"), site) is not None)
    if sql.one_statement_writes() and fast:
        return _refresh_in_one_statement(site, token, granted, [s for s in granted if s in requested])
    return _refresh_through_orm(site, params, token)


def _refresh_in_one_statement(site, token: SSORefreshToken, granted: list[str], scopes: list[str]) -> dict[str, object]:
    # The claims of the presented token are ours (its MAC was checked) and
    # the statement re-checks them against the stored record, so the successors
    # are made before the one round trip that records them, and the access
    # token signed while it runs (accounts.oauth.signing_ahead).
    # RFC 6749 section 6: the successor keeps the presented token's scope; only
    # the access token is narrowed.
    issued, access, successor = new_token_pair(site=site, sub=str(token["sub"]), scope=" ".join(scopes),
                                               sid=str(token["sid"]), refresh_scope=" ".join(granted))
    signing = sign_ahead(signing_key_for(site), access)
    result = rotation.rotate(
        jti=str(token["jti"]), site_id=site.pk, client_id=site.client_id, granted_scope=" ".join(granted),
        successor=rotation.Replacement(
            jti=successor["jti"], digest=token_digest(issued.refresh_token), created_at=successor.current_time,
            expires_at=datetime_from_epoch(successor["exp"]), scope=issued.refresh_scope),
    )
    if result.outcome is rotation.Outcome.REUSED:
        _end_session_for_reuse(SSOSession.objects.select_related("user").get(pk=result.sso_session_id), site)
    if result.outcome is not rotation.Outcome.ROTATED:
        raise invalid_grant(REFUSALS[result.outcome])
    issued.access_token, _ = signing.result()
    audit_logger.info("audit %s user=%s sid=%s", EventType.TOKEN_ISSUED, result.user_id, str(token["sid"])[:8])
    return issued.response_body()


REFUSALS = {
    rotation.Outcome.UNKNOWN: "The refresh token is invalid.",
    rotation.Outcome.REUSED: "The refresh token was already used; the session has been ended.",
    rotation.Outcome.REVOKED: "The refresh token has been revoked.",
    rotation.Outcome.SESSION_ENDED: "The sign-in session has ended.",
}


def _end_session_for_reuse(session: SSOSession, site) -> None:
    record_event(EventType.REFRESH_TOKEN_REUSE, user=session.user, client_id=site.client_id, sid=session.sid)
    end_sso_session(session, EndReason.REFRESH_TOKEN_REUSE)


def _refresh_through_orm(site, params: QueryDict, token: SSORefreshToken) -> dict[str, object]:
    reused_session = None
    with transaction.atomic():
        # One query: the record, its session and user, and whether it is blacklisted.
        record = (RefreshTokenRecord.objects.select_for_update(of=("self",))
                  .select_related("sso_session__user")
                  .annotate(blacklisted=Exists(BlacklistedToken.objects.filter(token_id=OuterRef("outstanding_id"))))
                  .filter(outstanding__jti=token["jti"]).first())
        if record is None or record.site_id != site.pk:
            raise invalid_grant(REFUSALS[rotation.Outcome.UNKNOWN])
        if record.rotated_at is not None:
            reused_session = record.sso_session
        else:
            if record.blacklisted:
                raise invalid_grant(REFUSALS[rotation.Outcome.REVOKED])
            session = record.sso_session
            if not session.is_active or not session.user.is_active:
                raise invalid_grant(REFUSALS[rotation.Outcome.SESSION_ENDED])
            granted = record.scope.split()
            requested = params.get("scope", "").split() or granted
            if not set(requested) <= set(granted):
                raise OAuthError("invalid_scope", "The requested scope exceeds the scope originally granted.")
            record.rotated_at = timezone.now()
            record.save(update_fields=["rotated_at"])
            BlacklistedToken.objects.create(token_id=record.outstanding_id)
            scopes = [s for s in granted if s in requested]
            issued = issue_tokens(site=site, sso_session=session, scopes=scopes, grant="refresh_token",
                                  refresh_scopes=granted, presented_device_secret=params.get("device_secret"),
                                  # OIDC Core 12.2: a refresh response may omit the ID token; it is
                                  # sent only where Native SSO needs its ds_hash.
                                  with_id_token="device_sso" in scopes, link_site=False)
    if reused_session is not None:
        _end_session_for_reuse(reused_session, site)
        raise invalid_grant(REFUSALS[rotation.Outcome.REUSED])
    return issued.response_body()
