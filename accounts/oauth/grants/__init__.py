"""The token endpoint's grant table: one handler per ``grant_type``.

The grants of RFC 6749 register here, and so does any app that adds one
(``tokenexchange`` its RFC 8693 grant, from its ``AppConfig.ready``); the
endpoint (``accounts.oauth.token_endpoint``) dispatches through this table alone.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.grants import authorization_code, client_credentials, refresh_token
from accounts.oauth.token_request import TokenRequest

GrantHandler = Callable[[TokenRequest], dict]

GRANT_TYPES: dict[str, GrantHandler] = {
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    "client_credentials": client_credentials.grant,
}


def register_grant(grant_type: str, handler: GrantHandler) -> None:
    GRANT_TYPES[grant_type] = handler


def dispatch_grant(request: TokenRequest) -> dict:
    grant_type = request.params.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    handler = GRANT_TYPES.get(grant_type)
    if handler is None:
        raise OAuthError("unsupported_grant_type", "This grant type is not supported.")
    return handler(request)
