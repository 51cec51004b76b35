"""The token endpoint (and its client-authenticated siblings): parse, authenticate, dispatch."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse

from accounts.network import network_id
from accounts.oauth.client_credentials import grant_client_credentials
from accounts.oauth.clients import authenticate_client
from accounts.oauth.errors import OAuthError, invalid_request, no_store, oauth_error_response, oauth_json
from accounts.oauth.grants import grant_authorization_code, grant_refresh_token
from accounts.oauth.keyring import KeyRingError
from accounts.oauth.token_request import TokenRequest

logger = logging.getLogger("accounts.oauth")

GrantHandler = Callable[[TokenRequest], dict | None]

GRANT_HANDLERS: dict[str, GrantHandler] = {
    "authorization_code": grant_authorization_code,
    "refresh_token": grant_refresh_token,
    "client_credentials": grant_client_credentials,
}

FORM = "application/x-www-form-urlencoded"
MULTI_VALUED = {"audience", "resource"}  # RFC 8693 section 2.1 allows these more than once


def parse_form(request: HttpRequest):
    """RFC 6749 section 3.2: POST, form-encoded, no parameter twice."""
    if request.method != "POST":
        raise OAuthError("invalid_request", "Use POST.", status=405, headers={"Allow": "POST"})
    if request.content_type != FORM:
        raise invalid_request(f"The body must be {FORM}.")
    try:
        params = request.POST
    except RequestDataTooBig:
        raise OAuthError("invalid_request", "The request body is too large.", status=413) from None
    except TooManyFieldsSent:
        raise invalid_request("The request has too many parameters.") from None
    except BadRequest:  # Django refuses a form body in any charset but UTF-8 (RFC 6749 appendix B)
        raise invalid_request("The body must be UTF-8 encoded.") from None
    repeated = sorted(name for name, values in params.lists() if len(values) > 1 and name not in MULTI_VALUED)
    if repeated:
        raise invalid_request(f"Parameters sent more than once: {', '.join(repeated)}.")
    return params


def client_endpoint_response(request: HttpRequest, handler: GrantHandler) -> HttpResponse:
    """Form parsing, client authentication and the RFC 6749 error shape, for
    every client-authenticated endpoint (token, revocation, introspection)."""
    try:
        params = parse_form(request)
        site = authenticate_client(request)
        result = handler(TokenRequest(site, params, network_id(request)))
    except OAuthError as error:
        return oauth_error_response(error)
    except KeyRingError as error:  # an operator's to fix: the message says how
        logger.error("cannot sign: %s", error)
        return oauth_error_response(OAuthError("server_error", "The provider cannot sign tokens for this client.", 500))
    return oauth_json(result) if result is not None else no_store(HttpResponse(status=200))


def dispatch_grant(token_request: TokenRequest) -> dict:
    grant_type = token_request.params.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    handler = GRANT_HANDLERS.get(grant_type)
    if handler is None:
        raise OAuthError("unsupported_grant_type", "This grant type is not supported.")
    return handler(token_request)
