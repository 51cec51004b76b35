"""Minting the tokens of one grant: access, refresh and ID token, recorded by the store.

Every grant ends here: ``issue_tokens`` for a new grant (a code redeemed, a
token exchanged), ``rotate_tokens`` for a refresh. The tokens' claims are fixed
first, their signatures computed while the store's write runs
(``signing_ahead``), and nothing leaves unless the store wrote it; when it
refused, ``NotIssued`` says why and the grant applies its rule.

What another app adds to a grant (Native SSO's device secret) comes in through
an ``IssuanceExtension`` it registers, so this module knows no such app.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction
from rest_framework_simplejwt.utils import datetime_from_epoch, datetime_to_epoch

from accounts import store
from accounts.models import PartnerSite, SSOSession, token_digest
from accounts.oauth.claims import assurance_claims, identity_claims, subject_for
from accounts.oauth.keyring import SigningKey, signing_key_for
from accounts.oauth.sector_sid import sid_for
from accounts.oauth.signing_ahead import sign_ahead
from accounts.oauth.tokens import IDToken, SSOAccessToken, SSORefreshToken


@dataclass
class IssuedTokens:
    access_token: str
    access_jti: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    refresh_outstanding_id: int | None = None
    id_token: str | None = None
    refresh_scope: str = ""  # the refresh token's, where the access token's was narrowed
    extra: dict[str, str] = field(default_factory=dict)  # an extension's response parameters

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
        body.update(self.extra)
        return body


class NotIssued(Exception):
    """The store refused the write (``written.outcome`` says why); nothing was issued."""

    def __init__(self, written: store.Written):
        super().__init__(written.outcome.value)
        self.written = written


@dataclass(frozen=True)
class Extended:
    response: dict[str, str]  # added to the token response
    id_token_claims: dict[str, object]


class IssuanceExtension(Protocol):
    def applies(self, site: PartnerSite, scopes: list[str]) -> bool: ...

    def extend(
        self, sso_session: SSOSession, site: PartnerSite, params: Mapping[str, str] | None, key: SigningKey
    ) -> Extended:
        """Runs inside the issuance's transaction: its writes stand or fall with the grant's."""


_extensions: list[IssuanceExtension] = []


def register_issuance_extension(extension: IssuanceExtension) -> None:
    if extension not in _extensions:
        _extensions.append(extension)


def issue_tokens(
    *,
    site: PartnerSite,
    sso_session: SSOSession,
    scopes: list[str],
    grant: str,
    nonce: str = "",
    params: Mapping[str, str] | None = None,
    with_id_token: bool = True,
    link_site: bool = True,
    redeeming_code_id: int | None = None,
) -> IssuedTokens:
    """Access token, refresh token and (with ``openid``) ID token for a new grant.

    With ``redeeming_code_id`` that authorization code is claimed by the same
    write, or ``NotIssued`` is raised and nothing is written. ``params`` are the
    token request's, for the extensions (a device secret the app already holds).
    """
    extensions = [e for e in _extensions if e.applies(site, scopes)]
    with transaction.atomic() if extensions else nullcontext():
        minted = _mint(
            site,
            sso_session,
            subject_for(sso_session.user, site),
            sid_for(sso_session.sid, site),
            scopes,
            scopes,
            nonce=nonce,
            with_id_token=with_id_token,
            extensions=extensions,
            params=params,
        )
        written = store.current().record_issuance(
            store.Issuance(
                user_id=sso_session.user_id,
                sso_session=sso_session,
                site=site,
                grant=grant,
                refresh=minted.refresh,
                access_jti=minted.issued.access_jti,
                link_site=link_site,
                redeeming_code_id=redeeming_code_id,
            )
        )
        return minted.collect(written)


def rotate_tokens(
    *,
    site: PartnerSite,
    presented: SSORefreshToken,
    scopes: list[str],
    granted: list[str],
    sub: str,
    sid: str,
    sso_session: SSOSession | None = None,
    params: Mapping[str, str] | None = None,
) -> IssuedTokens:
    """The successors of the refresh token ``presented`` (RFC 6749 section 6): the
    refresh token keeps the ``granted`` scope, the access token gets ``scopes``.
    ``sub`` and ``sid`` are as the site sees them. An ID token is minted only
    with ``sso_session`` given and an extension that asks for one (OIDC Core
    12.2: a refresh response may omit it; Native SSO needs its ``ds_hash``)."""
    extensions = [e for e in _extensions if e.applies(site, scopes)] if sso_session is not None else []
    with transaction.atomic() if extensions else nullcontext():
        minted = _mint(
            site,
            sso_session,
            sub,
            sid,
            scopes,
            granted,
            with_id_token=bool(extensions),
            extensions=extensions,
            params=params,
        )
        written = store.current().rotate_refresh_token(
            store.Rotation(
                jti=str(presented["jti"]), site=site, granted_scope=" ".join(granted), successor=minted.refresh
            )
        )
        return minted.collect(written)  # a refusal raises here: the extensions' writes roll back


@dataclass
class _Minted:
    issued: IssuedTokens
    refresh: store.RefreshToken
    signing: object  # the Future of sign_ahead

    def collect(self, written: store.Written) -> IssuedTokens:
        if not written.ok:
            raise NotIssued(written)  # the signatures nobody collects are dropped
        self.issued.refresh_outstanding_id = written.outstanding_id
        self.issued.access_token, self.issued.id_token = self.signing.result()
        return self.issued


def _mint(
    site: PartnerSite,
    sso_session: SSOSession | None,
    sub: str,
    sid: str,
    scopes: list[str],
    refresh_scopes: list[str],
    *,
    nonce: str = "",
    with_id_token: bool,
    extensions: list[IssuanceExtension],
    params: Mapping[str, str] | None,
) -> _Minted:
    key = signing_key_for(site)  # the site's id_token_signed_response_alg signs all its tokens
    issued, access, refresh = new_token_pair(
        site=site, sub=sub, scope=" ".join(scopes), sid=sid, refresh_scope=" ".join(refresh_scopes)
    )
    id_claims: dict[str, object] = {}
    for extension in extensions:
        extended = extension.extend(sso_session, site, params, key)
        issued.extra.update(extended.response)
        id_claims.update(extended.id_token_claims)

    id_token = None
    if "openid" in scopes and with_id_token and sso_session is not None:
        id_token = IDToken(audience=site.client_id).set_claims(  # at_hash: by the signer, from the signed access token
            sub=sub,
            azp=site.client_id,
            sid=sid,
            auth_time=datetime_to_epoch(sso_session.auth_time),
            nonce=nonce or None,
            **assurance_claims(sso_session),
            **id_claims,
            **identity_claims(sso_session.user, set(scopes)),
        )
    recorded = store.RefreshToken(
        jti=refresh["jti"],
        digest=token_digest(issued.refresh_token),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
        scope=issued.refresh_scope,
    )
    return _Minted(issued, recorded, sign_ahead(key, access, id_token))


def new_token_pair(
    *, site: PartnerSite, sub: str, scope: str, sid: str, refresh_scope: str | None = None
) -> tuple[IssuedTokens, SSOAccessToken, SSORefreshToken]:
    """Tokens for ``sub`` at ``site`` (``sid`` as the site's sector sees it): the refresh
    token MAC'd, the access token's claims fixed, for ``sign_ahead`` to sign."""
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
