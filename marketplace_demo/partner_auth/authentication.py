"""DRF authentication for partner APIs: Bearer access tokens of the IdP, verified locally."""

from __future__ import annotations

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from marketplace_demo.partner_auth.verify import InvalidToken, verify_access_token


class TokenUser:
    """The user as this site knows them: the IdP's ``sub`` for this site, and the token's scopes."""

    __slots__ = ("sub", "claims", "_scopes")
    is_authenticated = True

    def __init__(self, sub: str, claims: dict):
        self.sub, self.claims, self._scopes = sub, claims, None

    @property
    def scopes(self) -> frozenset[str]:
        # Built on first use: most requests of a verified token never ask.
        if self._scopes is None:
            self._scopes = frozenset(str(self.claims.get("scope", "")).split())
        return self._scopes

    def __repr__(self) -> str:
        return f"TokenUser(sub={self.sub!r})"


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
        user = TokenUser(claims["sub"], claims)
        return user, claims

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="partner-api"'
