"""The OpenAPI description of the token, revocation and introspection endpoints
(DRF views with a form body): partners get them documented, and the schema
fuzzer tests them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema

TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        name: {"type": "string"}
        for name in (
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
            "scope",
            "client_id",
            "client_secret",
            "device_secret",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "audience",
            "resource",
            "requested_token_type",
        )
    },
}
TOKEN_RESPONSE = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string"},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string"},
        "id_token": {"type": "string"},
        "device_secret": {"type": "string"},
        "issued_token_type": {"type": "string"},
    },
}
OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


TOKEN_ONLY_FORM = {
    "type": "object",
    "required": ["token"],
    "properties": {name: {"type": "string"} for name in ("token", "token_type_hint", "client_id", "client_secret")},
}
INTROSPECTION = {
    "type": "object",
    "required": ["active"],
    "properties": {
        "active": {"type": "boolean"},
        **{
            name: {"type": "string"} for name in ("scope", "client_id", "sub", "aud", "iss", "jti", "sid", "token_type")
        },
        "exp": {"type": "integer"},
        "iat": {"type": "integer"},
        "act": {"type": "object"},
    },
}
FORM = "application/x-www-form-urlencoded"


def _errors() -> dict:
    described = {
        400: "RFC 6749 section 5.2 error",
        401: "Client authentication failed",
        405: "Only POST",
        413: "Body too large",
        503: "A system the server depends on is unavailable",
    }
    return {code: OpenApiResponse(OAUTH_ERROR, description=text) for code, text in described.items()}


def client_endpoint(summary: str, form: dict, response: dict | None, description: str):
    """The OpenAPI operation of a client-authenticated endpoint (accounts.oauth.token_endpoint)."""
    return extend_schema(
        # clientSecretBasic is in SPECTACULAR_SETTINGS["APPEND_COMPONENTS"] (RFC 6749 section 2.3.1).
        summary=summary,
        request={FORM: form},
        auth=[{"clientSecretBasic": []}, {}],
        responses={200: OpenApiResponse(response, description=description), **_errors()},
    )
