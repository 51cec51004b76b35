"""DRF authentication by the IdP's own access tokens, refusing ended sessions at once."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.oauth.access import InvalidAccessToken, bearer_token, verify_access_token


class SSOAccessTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access token>``; ``request.auth`` is the VerifiedAccess."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        raw = bearer_token(header)
        if raw is None:
            raise AuthenticationFailed("Use the Bearer scheme.")
        try:
            access = verify_access_token(raw)
        except InvalidAccessToken as error:
            raise AuthenticationFailed(str(error)) from None
        return access.sso_session.user, access

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SSOAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.oauth.drf.SSOAccessTokenAuthentication"
    name = "ssoAccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RFC 9068 at+jwt)"}
