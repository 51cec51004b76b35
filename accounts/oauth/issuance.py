"""Minting the tokens of one grant: access, refresh and ID token, in the caller's transaction."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from django.db import transaction
from rest_framework_simplejwt.utils import datetime_from_epoch, datetime_to_epoch

from accounts.models import PartnerSite, SSOSession, token_digest
from accounts.oauth.claims import identity_claims, subject_for, token_hash
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.recording import IssuanceRecord, record_issuance
from accounts.oauth.sector_sid import sid_for
from accounts.oauth.signing_ahead import sign_ahead
from accounts.oauth.tokens import IDToken, SSOAccessToken, SSORefreshToken
from tokenexchange.device_secrets import issue_or_reuse_device_secret


@dataclass
class IssuedTokens:
    access_token: str
    access_jti: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    refresh_outstanding_id: int | None = None
    id_token: str | None = None
    device_secret: str | None = None
    refresh_scope: str = ""  # the refresh token's, where the access token's was narrowed

    def response_body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.id_token:
            body["id_token"] = self.id_token
        if self.device_secret:
            body["device_secret"] = self.device_secret
        return body


def issue_tokens(
    *, site: PartnerSite, sso_session: SSOSession, scopes: list[str], grant: str, nonce: str = "",
    presented_device_secret: str | None = None, with_id_token: bool = True,
    link_site: bool = True, redeeming_code_id: int | None = None, refresh_scopes: list[str] | None = None,
) -> IssuedTokens:
    """Access token, refresh token and (with ``openid``) ID token for one grant.

    With ``openid device_sso`` for a native-SSO site, a device secret is issued
    (or the presented one reused) and the ID token carries ``ds_hash`` and
    ``sid`` (Native SSO draft 07 section 3.4): both or neither.

    ``refresh_scopes`` is the refresh token's scope where the access token's was
    narrowed (RFC 6749 section 6: a rotated refresh token keeps the scope of the
    one presented).

    All or nothing: most grants write one statement, atomic by itself; with a
    device secret the two writes share a transaction (no savepoint inside a
    caller's: a failure must undo the caller's work too). With
    ``redeeming_code_id`` (PostgreSQL), that authorization code is claimed in the
    same statement, or ``CodeNotRedeemed`` is raised and nothing is written.
    """
    with_device_secret = {"openid", "device_sso"} <= set(scopes) and site.native_sso
    with transaction.atomic(savepoint=False) if with_device_secret else nullcontext():
        return _issue(site, sso_session, scopes, grant, nonce, presented_device_secret if with_device_secret else None,
                      with_device_secret, with_id_token, link_site, redeeming_code_id, refresh_scopes or scopes)


def _issue(site: PartnerSite, sso_session: SSOSession, scopes: list[str], grant: str, nonce: str,
           presented_device_secret: str | None, with_device_secret: bool, with_id_token: bool,
           link_site: bool, redeeming_code_id: int | None, refresh_scopes: list[str]) -> IssuedTokens:
    user = sso_session.user
    sub = subject_for(user, site)
    sid = sid_for(sso_session.sid, site)  # OIDC Core 17.3: the sector's own sid
    key = signing_key_for(site)  # the site's id_token_signed_response_alg signs all its tokens
    issued, access, refresh = new_token_pair(site=site, sub=sub, scope=" ".join(scopes), sid=sid,
                                             refresh_scope=" ".join(refresh_scopes))

    if with_device_secret:
        issued.device_secret = issue_or_reuse_device_secret(sso_session, site, presented_device_secret)

    id_token = None
    if "openid" in scopes and with_id_token:
        id_token = IDToken(audience=site.client_id).set_claims(  # at_hash: by the signer, from the signed access token
            sub=sub,
            azp=site.client_id,
            sid=sid,
            auth_time=datetime_to_epoch(sso_session.auth_time),
            nonce=nonce or None,
            ds_hash=token_hash(issued.device_secret, key.algorithm) if issued.device_secret else None,
            **identity_claims(user, set(scopes)),
        )
    signing = sign_ahead(key, access, id_token)

    # Refreshes and code grants are linked to their site already (at the refresh's origin, at authorize).
    issued.refresh_outstanding_id = record_issuance(IssuanceRecord(
        user_id=user.pk, sso_session=sso_session, site=site, grant=grant, link_site=link_site, jti=refresh["jti"],
        digest=token_digest(issued.refresh_token), created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]), scope=issued.refresh_scope, access_jti=issued.access_jti,
        redeeming_code_id=redeeming_code_id,
    ))
    issued.access_token, issued.id_token = signing.result()
    return issued


def new_token_pair(*, site: PartnerSite, sub: str, scope: str, sid: str,
                   refresh_scope: str | None = None) -> tuple[IssuedTokens, SSOAccessToken, SSORefreshToken]:
    """Tokens for ``sub`` at ``site`` (``sid`` as the site's sector sees it): the refresh
    token MAC'd (the caller records it), the access token's claims fixed, for
    ``sign_ahead`` to sign while the caller records."""
    refresh_scope = refresh_scope or scope
    access = SSOAccessToken(audience=site.client_id).set_claims(sub=sub, client_id=site.client_id, scope=scope, sid=sid)
    refresh = SSORefreshToken().set_claims(sub=sub, client_id=site.client_id, scope=refresh_scope, sid=sid)
    issued = IssuedTokens(
        access_token="",  # signed by sign_ahead
        access_jti=access["jti"],
        expires_in=int(access.lifetime.total_seconds()),
        scope=scope,
        refresh_token=str(refresh),
        refresh_scope=refresh_scope,
    )
    return issued, access, refresh
