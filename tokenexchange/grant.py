"""RFC 8693 token exchange at the token endpoint (filled in by the token-exchange issue)."""

from __future__ import annotations

from django.http import QueryDict

from accounts.oauth.errors import OAuthError

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"


def grant_token_exchange(site, params: QueryDict) -> dict[str, object]:
    raise OAuthError("unsupported_grant_type", "Token exchange is not enabled on this server yet.")
