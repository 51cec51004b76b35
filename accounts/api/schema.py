"""The token endpoint in the OpenAPI document (it is a plain Django view, so
drf-spectacular does not see it): partners get it documented, and the schema
fuzzer tests it."""

from __future__ import annotations

TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {name: {"type": "string"} for name in (
        "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id",
        "client_secret", "device_secret", "subject_token", "subject_token_type", "actor_token",
        "actor_token_type", "audience", "resource", "requested_token_type",
    )},
}
TOKEN_RESPONSE = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string"}, "token_type": {"type": "string"}, "expires_in": {"type": "integer"},
        "scope": {"type": "string"}, "refresh_token": {"type": "string"}, "id_token": {"type": "string"},
        "device_secret": {"type": "string"}, "issued_token_type": {"type": "string"},
    },
}
OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def add_token_endpoint(result, generator, request, public):
    result.setdefault("paths", {})["/oauth/token/"] = {"post": {
        "operationId": "oauth_token",
        "summary": "OAuth 2.0 token endpoint (RFC 6749, RFC 7636, RFC 8693)",
        "security": [{"clientSecretBasic": []}, {}],
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": TOKEN_FORM}}},
        "responses": {
            "200": _json(TOKEN_RESPONSE, "Tokens"),
            "400": _json(OAUTH_ERROR, "RFC 6749 section 5.2 error"),
            "401": _json(OAUTH_ERROR, "Client authentication failed"),
            "405": _json(OAUTH_ERROR, "Only POST"),
            "413": _json(OAUTH_ERROR, "Body too large"),
            "503": _json(OAUTH_ERROR, "A system the server depends on is unavailable"),
        },
    }}
    result.setdefault("components", {}).setdefault("securitySchemes", {})["clientSecretBasic"] = {
        "type": "http", "scheme": "basic"}
    return result
