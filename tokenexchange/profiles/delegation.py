"""Profile 3: audience and delegation exchange for services (RFC 8693 sections 1.1, 2.2.2, 4.1, 5).

A service holding a user's access token gets a short-lived access token for
another registered service. Nothing is allowed by default; every rule below
must hold, or the answer is ``invalid_target`` (``unauthorized_client`` for a
public caller):

- the caller is confidential, and the target names it: in ``exchange_clients``
  for an audience exchange, in ``delegation_actors`` for a delegation;
- the subject token is addressed to the caller (its own, or one exchanged for it);
- the target knows the user by the same subject and sid as the caller, so no
  pairwise identifier crosses sectors (OIDC Core 8.1, 17.3);
- the user has consented to the target (unless it is first party), and the
  scope is within the subject token's, the target's and that consent.

With the caller's own client_credentials token as ``actor_token`` the result
names the caller in ``act`` (delegation); a subject token's ``act`` chain is
kept, nested, either way (section 4.1).
"""

from __future__ import annotations

import time

from accounts.audit import EventType, record_event
from accounts.models import Consent, PartnerSite
from accounts.oauth.access import InvalidAccessToken, VerifiedAccess, verify_access_token, verify_client_token
from accounts.oauth.claims import subject_for
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.registry import active_site
from accounts.oauth.sector_sid import sid_for
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSOAccessToken
from tokenexchange.request import ACCESS_TOKEN, ExchangeRequest


def invalid_target(description: str) -> OAuthError:
    return OAuthError("invalid_target", description)


def _target(exchange: ExchangeRequest) -> PartnerSite:
    if not exchange.audiences and not exchange.resources:
        raise invalid_request("audience or resource naming the target service is required")
    targets = set()
    for audience in exchange.audiences:
        site = active_site(audience)
        if site is None:
            raise invalid_target("The audience is not a registered service.")
        targets.add(site)
    for resource in exchange.resources:
        site = PartnerSite.objects.filter(resource_uri=resource, is_active=True).exclude(resource_uri="").first()
        if site is None:
            raise invalid_target("The resource is not a registered service.")
        targets.add(site)
    if len(targets) != 1:
        raise invalid_target("Name exactly one target service.")
    return targets.pop()


def _subject(exchange: ExchangeRequest) -> VerifiedAccess:
    try:
        return verify_access_token(exchange.subject_token, audience=exchange.site.client_id)
    except InvalidAccessToken as error:
        raise invalid_request(f"The subject token is not valid: {error}") from None


def _act_claim(exchange: ExchangeRequest, subject: VerifiedAccess) -> dict | None:
    prior = subject.token.get("act")
    if not exchange.actor_token:
        return prior  # still a delegated token: the chain stays
    caller = exchange.site.client_id
    try:
        verify_client_token(exchange.actor_token, caller)
    except InvalidAccessToken:
        raise invalid_request("The actor token must be the calling service's own client_credentials token.") from None
    act: dict = {"sub": caller, "client_id": caller}
    if prior:
        act["act"] = prior
    return act


def _check_policy(caller: PartnerSite, target: PartnerSite, subject: VerifiedAccess, delegating: bool) -> None:
    allowed = target.delegation_actors if delegating else target.exchange_clients
    if caller.client_id not in allowed:
        raise invalid_target("This client may not obtain tokens for that service.")
    user = subject.sso_session.user
    if subject_for(user, target) != subject_for(user, caller):
        raise invalid_target("That service knows its users by other identifiers than this client.")


def _granted_scopes(exchange: ExchangeRequest, subject: VerifiedAccess, target: PartnerSite) -> list[str]:
    grantable = subject.scopes & set(target.allowed_scopes)
    if not target.first_party:
        consent = Consent.objects.filter(user=subject.sso_session.user, site=target).first()
        if consent is None:
            raise invalid_target("The user has not allowed that service.")
        grantable &= set(consent.scopes)
    in_subject_order = [scope for scope in str(subject.token["scope"]).split() if scope in grantable]
    scopes = list(exchange.scopes) if exchange.scopes is not None else in_subject_order
    if not scopes or not set(scopes) <= grantable:
        raise OAuthError(
            "invalid_scope", "The requested scope exceeds the subject token's, the target's or the user's consent."
        )
    return scopes


def exchange_for_audience(exchange: ExchangeRequest, token_request: TokenRequest) -> dict:
    caller = exchange.site
    if not caller.is_confidential:
        raise OAuthError("unauthorized_client", "Only a confidential client may exchange tokens for another service.")
    subject = _subject(exchange)
    target = _target(exchange)
    act = _act_claim(exchange, subject)
    _check_policy(caller, target, subject, delegating=bool(exchange.actor_token))
    scopes = _granted_scopes(exchange, subject, target)

    session = subject.sso_session
    token = SSOAccessToken(audience=target.client_id).set_claims(
        sub=subject_for(session.user, target),
        client_id=caller.client_id,
        scope=" ".join(scopes),
        sid=sid_for(session.sid, target),
        act=act,
    )
    # Never outlive the token it was exchanged for.
    token["exp"] = min(token["exp"], subject.token["exp"])
    access_token = token.signed_with(signing_key_for(target))
    grant = "token-exchange:delegation" if act else "token-exchange:audience"
    record_event(
        EventType.TOKEN_ISSUED,
        user=session.user,
        client_id=caller.client_id,
        sid=session.sid,
        grant=grant,
        target=target.client_id,
    )
    body = {
        "access_token": access_token,
        "issued_token_type": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": max(0, int(token["exp"] - time.time())),
    }
    if exchange.scopes is None or set(exchange.scopes) != set(scopes):
        body["scope"] = " ".join(scopes)
    return body
