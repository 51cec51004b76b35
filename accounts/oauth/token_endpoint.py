"""The token endpoint and its client-authenticated siblings (revocation, introspection), as DRF views.

Each request is parsed once (POST, form-encoded, UTF-8, no parameter twice:
RFC 6749 section 3.2 and appendix B), its client authenticated once (RFC 6749
section 2.3), and handed on as one ``TokenRequest``; the token endpoint
dispatches it through the grant table (``accounts.oauth.grants``). Every
refusal, DRF's own included, answers in the RFC 6749 section 5.2 shape.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, QueryDict
from django.utils.http import parse_header_parameters
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts import metrics
from accounts.api import schema
from accounts.network import network_id
from accounts.oauth.clients import authenticate_client
from accounts.oauth.errors import OAuthError, invalid_request, no_store, oauth_error_response, oauth_json
from accounts.oauth.grants import dispatch_grant
from accounts.oauth.keyring import KeyRingError
from accounts.oauth.revocation import introspect_token, revoke_token
from accounts.oauth.token_request import TokenRequest

logger = logging.getLogger("accounts.oauth")

FORM = "application/x-www-form-urlencoded"
MULTI_VALUED = {"audience", "resource"}  # RFC 8693 section 2.1 allows these more than once


class OAuthFormParser(FormParser):
    """The form body as RFC 6749 wants it: UTF-8 (appendix B), no parameter twice (section 3.2)."""

    def parse(self, stream, media_type=None, parser_context=None) -> QueryDict:
        charset = parse_header_parameters(media_type or "")[1].get("charset", "utf-8")
        if charset.lower() not in ("utf-8", "utf8"):
            raise invalid_request("The body must be UTF-8 encoded.")
        try:
            params = QueryDict(stream.read(), encoding="utf-8")
        except TooManyFieldsSent:
            raise invalid_request("The request has too many parameters.") from None
        repeated = sorted(name for name, values in params.lists() if len(values) > 1 and name not in MULTI_VALUED)
        if repeated:
            raise invalid_request(f"Parameters sent more than once: {', '.join(repeated)}.")
        return params


class ClientEndpoint(APIView):
    """POST only; the client authenticates itself (not a user: no DRF authentication)."""

    http_method_names = ["post"]
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [OAuthFormParser]
    renderer_classes = [JSONRenderer]

    def handle(self, request: TokenRequest) -> dict | None:
        raise NotImplementedError

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()  # JSON, whatever Accept says: there is nothing to negotiate
        return renderer, renderer.media_type

    def post(self, request) -> HttpResponse:
        if parse_header_parameters(request.content_type or "")[0] != FORM:
            raise invalid_request(f"The body must be {FORM}.")
        params = request.data
        site = authenticate_client(request.META.get("HTTP_AUTHORIZATION", ""), params)
        result = self.handle(TokenRequest(site, params, network_id(request)))
        return oauth_json(result) if result is not None else no_store(HttpResponse(status=200))

    def handle_exception(self, exc) -> HttpResponse:
        if isinstance(exc, exceptions.MethodNotAllowed):
            exc = OAuthError("invalid_request", "Use POST.", status=405, headers={"Allow": "POST"})
        elif isinstance(exc, exceptions.UnsupportedMediaType):
            exc = invalid_request(f"The body must be {FORM}.")
        elif isinstance(exc, RequestDataTooBig):
            exc = OAuthError("invalid_request", "The request body is too large.", status=413)
        elif isinstance(exc, KeyRingError):  # an operator's to fix: the message says how
            logger.error("cannot sign: %s", exc)
            exc = OAuthError("server_error", "The provider cannot sign tokens for this client.", 500)
        if isinstance(exc, OAuthError):
            return oauth_error_response(exc)
        return super().handle_exception(exc)


@schema.client_endpoint(
    "OAuth 2.0 token endpoint (RFC 6749, RFC 7636, RFC 8693)", schema.TOKEN_FORM, schema.TOKEN_RESPONSE, "Tokens"
)
class TokenView(ClientEndpoint):
    """RFC 6749 section 3.2: every grant type, through the grant table."""

    def handle(self, request: TokenRequest) -> dict:
        return dispatch_grant(request)

    def post(self, request) -> HttpResponse:
        try:
            response = super().post(request)
        except OAuthError as error:  # client authentication and parsing included
            metrics.count_grant(_grant_type(request), error.error)
            raise
        except KeyRingError:
            metrics.count_grant(_grant_type(request), "server_error")
            raise
        metrics.count_grant(_grant_type(request), "issued")
        return response


def _grant_type(request) -> str | None:
    # After a body that did not parse, DRF's request.data is empty (it raised once, in post).
    return request.data.get("grant_type")


@schema.client_endpoint(
    "OAuth 2.0 token revocation (RFC 7009)",
    schema.TOKEN_ONLY_FORM,
    None,
    "Revoked, or not a token of this client (the answer tells nothing)",
)
class RevocationView(ClientEndpoint):
    """RFC 7009."""

    def handle(self, request: TokenRequest) -> None:
        return revoke_token(request)


@schema.client_endpoint(
    "OAuth 2.0 token introspection (RFC 7662)", schema.TOKEN_ONLY_FORM, schema.INTROSPECTION, "The token's state"
)
class IntrospectionView(ClientEndpoint):
    """RFC 7662."""

    def handle(self, request: TokenRequest) -> dict:
        return introspect_token(request)
