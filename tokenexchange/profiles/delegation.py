"""Profile 3: audience and delegation exchange for services (RFC 8693 sections 1.1, 4.1).

A service holding a user's access token gets a short-lived access token for
another registered service; with its own access token as actor, the result
names it in ``act`` (delegation), where the target or the subject token allows.
"""

from __future__ import annotations

import time

from accounts.audit import EventType, record_event
from accounts.models import PartnerSite
from accounts.oauth.access import InvalidAccessToken, VerifiedAccess, verify_access_token
from accounts.oauth.claims import subject_for
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.registry import active_site
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSOAccessToken
from tokenexchange.request import ACCESS_TOKEN, ExchangeRequest


def _target(exchange: ExchangeRequest) -> PartnerSite:
    if not exchange.audiences and not exchange.resources:
        raise invalid_request("audience or resource naming the target service is required")
    targets = set()
    for audience in exchange.audiences:
        site = active_site(audience)
        if site is None:
            raise OAuthError("invalid_target", "The audience is not a registered service.")
        targets.add(site)
    for resource in exchange.resources:
        site = PartnerSite.objects.filter(resource_uri=resource, is_active=True).exclude(resource_uri="").first()
        if site is None:
            raise OAuthError("invalid_target", "The resource is not a registered service.")
        targets.add(site)
    if len(targets) != 1:
        raise OAuthError("invalid_target", "Name exactly one target service.")
    return targets.pop()


def _verified(raw: str, role: str) -> VerifiedAccess:
    try:
        return verify_access_token(raw)
    except InvalidAccessToken as error:
        raise invalid_request(f"The {role} token is not valid: {error}") from None


def _act_claim(exchange: ExchangeRequest, subject: VerifiedAccess, target: PartnerSite) -> dict | None:
    if not exchange.actor_token:
        return None
    actor = _verified(exchange.actor_token, "actor")
    caller = exchange.site.client_id
    if actor.token.get("client_id") != caller or actor.token.get("aud") != caller:
        raise invalid_request("The actor token must be the calling service's own access token.")
    may_act = subject.token.get("may_act") or {}
    allowed = caller in target.delegation_actors or (isinstance(may_act, dict) and may_act.get("client_id") == caller)
    if not allowed:
        raise invalid_request("Neither the subject token nor the target service allows this delegation.")
    act = {"sub": actor.token["sub"], "client_id": caller}
    if "act" in subject.token:
        act["act"] = subject.token["act"]  # RFC 8693 section 4.1: the chain of prior actors
    return act


def exchange_for_audience(exchange: ExchangeRequest, token_request: TokenRequest) -> dict:
    subject = _verified(exchange.subject_token, "subject")
    caller = exchange.site
    if subject.token.get("aud") != caller.client_id:
        raise invalid_request("The subject token was not issued to this client.")
    target = _target(exchange)
    grantable = subject.scopes & set(target.allowed_scopes)
    in_subject_order = [scope for scope in str(subject.token["scope"]).split() if scope in grantable]
    scopes = list(exchange.scopes) if exchange.scopes is not None else in_subject_order
    if not scopes or not set(scopes) <= grantable:
        raise OAuthError("invalid_scope", "The requested scope exceeds the subject token's or the target's.")
    act = _act_claim(exchange, subject, target)

    session = subject.sso_session
    token = SSOAccessToken(audience=target.client_id).set_claims(
        sub=subject_for(session.user, target), client_id=caller.client_id, scope=" ".join(scopes),
        sid=session.sid, act=act,
    )
    # Never outlive the token it was exchanged for.
    token["exp"] = min(token["exp"], subject.token["exp"])
    access_token = str(token)
    grant = "token-exchange:delegation" if act else "token-exchange:audience"
    record_event(EventType.TOKEN_ISSUED, user=session.user, client_id=caller.client_id, sid=session.sid,
                 grant=grant, target=target.client_id)
    body = {
        "access_token": access_token,
        "issued_token_type": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": max(0, int(token["exp"] - time.time())),
    }
    if exchange.scopes is None or set(exchange.scopes) != set(scopes):
        body["scope"] = " ".join(scopes)
    return body
