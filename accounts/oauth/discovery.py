"""OpenID Connect Discovery 1.0 metadata."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accounts.conf import sso_settings
from accounts.factors.assurance import ACR_VALUES
from accounts.oauth.grants import GRANT_TYPES
from sso_project.keys import SIGNING_ALGORITHMS


def provider_metadata() -> dict[str, object]:
    issuer = sso_settings().issuer
    url = lambda name: issuer + reverse(name)  # noqa: E731
    return {
        "issuer": issuer,
        "authorization_endpoint": url("oauth:authorize"),
        "token_endpoint": url("oauth:token"),
        "userinfo_endpoint": url("oauth:userinfo"),
        "jwks_uri": url("oauth:jwks"),
        "end_session_endpoint": url("oauth:end_session"),
        "revocation_endpoint": url("oauth:revoke"),
        "introspection_endpoint": url("oauth:introspect"),
        "scopes_supported": list(sso_settings().scopes),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "amr",
            "nonce",
            "sid",
            "azp",
            "at_hash",
            "email",
            "email_verified",
            "name",
        ],
        "acr_values_supported": list(ACR_VALUES),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": [code for code, _ in settings.LANGUAGES],
        "claims_parameter_supported": True,  # acted on for an essential acr (OIDC Core 5.5.1.1)
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "native_sso_supported": True,
    }
