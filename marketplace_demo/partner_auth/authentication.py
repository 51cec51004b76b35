"""DRF authentication for partner APIs: Bearer access tokens of the IdP, verified locally."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from marketplace_demo.partner_auth.verify import InvalidToken, verify_access_token


@dataclass(frozen=True)
class TokenUser:
    """The user as this site knows them: the IdP's ``sub`` for this site, and the token's scopes."""

    sub: str
    scopes: frozenset[str]
    claims: dict

    is_authenticated = True


class IdPAccessTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Use the Bearer scheme.")
        config = settings.PARTNER_API_AUTH
        try:
            claims = verify_access_token(token.strip(), issuer=config["ISSUER"], audience=config["AUDIENCE"])
        except InvalidToken as error:
            raise AuthenticationFailed(f"Invalid access token: {error}") from None
        user = TokenUser(sub=claims["sub"], scopes=frozenset(str(claims.get("scope", "")).split()), claims=claims)
        return user, claims

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="partner-api"'
