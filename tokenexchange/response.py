"""RFC 8693 section 2.2.1 token-exchange response."""

from __future__ import annotations

from accounts.oauth.issuance import IssuedTokens
from tokenexchange.request import ACCESS_TOKEN, ExchangeRequest


def exchange_response(issued: IssuedTokens, exchange: ExchangeRequest) -> dict[str, object]:
    body = issued.response_body()
    body["issued_token_type"] = ACCESS_TOKEN
    # Section 2.2.1: scope is required only when it differs from the request.
    if exchange.scopes is not None and set(exchange.scopes) == set(issued.scope.split()):
        body.pop("scope", None)
    return body
