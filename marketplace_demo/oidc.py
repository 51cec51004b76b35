"""The relying party: Authlib's Django client does discovery, PKCE, the code
exchange and ID-token validation; this module keeps the result in the
server-side session and refreshes tokens quietly."""

from __future__ import annotations

import logging
import time

import jwt
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest

from marketplace_demo import sealed
from marketplace_demo.models import SignedInSession

logger = logging.getLogger("marketplace_demo.oidc")

SESSION_USER = "partner_user"
SESSION_TOKENS = "partner_tokens"

oauth = OAuth()
oauth.register(
    name="idp",
    server_metadata_url=f"{settings.PARTNER['ISSUER']}/.well-known/openid-configuration",
    client_id=settings.PARTNER["CLIENT_ID"],
    client_secret=settings.PARTNER["CLIENT_SECRET"],
    client_kwargs={"scope": settings.PARTNER["SCOPES"], "code_challenge_method": "S256", "timeout": 5},
)
idp = oauth.idp


class SignInFailed(Exception):
    pass


def sign_in(request: HttpRequest, token: dict) -> None:
    """Start this site's own session from a validated token response."""
    claims = token.get("userinfo") or {}
    if not claims.get("sub"):
        raise SignInFailed("the identity provider returned no ID token")
    # Authlib checked signature, iss, aud, exp, iat, nonce and at_hash; the
    # token kind is ours to check (an access token must not pass as an ID token).
    if jwt.get_unverified_header(token["id_token"]).get("typ", "JWT") != "JWT":
        raise SignInFailed("the ID token has the wrong type")
    request.session.cycle_key()  # no session fixation across sign-in
    # In clear only the pseudonymous sub and sid; the tokens and the name sealed; no e-mail address.
    # How the user signed in (OIDC Core 2: acr, amr, auth_time): no personal data, for pages
    # that ask for a second factor (views.security).
    request.session[SESSION_USER] = {
        "sub": claims["sub"],
        "sid": claims.get("sid", ""),
        "acr": claims.get("acr", ""),
        "amr": list(claims.get("amr", [])),
        "auth_time": int(claims.get("auth_time", 0)),
    }
    _keep_tokens(
        request,
        {
            "name": claims.get("name", ""),
            **{key: token.get(key) for key in ("access_token", "refresh_token", "id_token", "expires_at")},
        },
    )
    request.session.save()
    SignedInSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"sid": claims.get("sid", ""), "sub": claims["sub"]}
    )


def sign_out_locally(request: HttpRequest) -> None:
    SignedInSession.objects.filter(session_key=request.session.session_key).delete()
    request.session.flush()
    request.partner_user = None  # signed out here, knowingly: no "you were signed out" notice


def _tokens(request: HttpRequest) -> dict | None:
    return sealed.unseal(request.session.get(SESSION_TOKENS))


def _keep_tokens(request: HttpRequest, tokens: dict) -> None:
    request.session[SESSION_TOKENS] = sealed.seal(tokens)


def current_user(request: HttpRequest) -> dict | None:
    """Who is signed in here: sub, sid and the display name, or None."""
    user = request.session.get(SESSION_USER)
    tokens = _tokens(request) if user else None
    if not user or tokens is None:
        return None
    return {**user, "name": tokens.get("name", "")}


def access_token(request: HttpRequest) -> str | None:
    """A usable access token, refreshed quietly when it has expired; None when
    the refresh is refused (the user is then signed out of this site)."""
    tokens = _tokens(request)
    if not tokens:
        return None
    if tokens.get("expires_at") and tokens["expires_at"] - 30 > time.time():
        return tokens["access_token"]
    try:
        fresh = idp.fetch_access_token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    except Exception as error:  # Authlib raises OAuthError for refusals, requests errors when unreachable
        logger.info("refresh refused (%s): signing out locally", type(error).__name__)
        sign_out_locally(request)
        return None
    tokens.update(
        {key: fresh.get(key, tokens.get(key)) for key in ("access_token", "refresh_token", "id_token", "expires_at")}
    )
    _keep_tokens(request, tokens)
    return tokens["access_token"]


def id_token_hint(request: HttpRequest) -> str | None:
    return (_tokens(request) or {}).get("id_token")
