"""One error type for OAuth/OIDC endpoints, turned into the RFC 6749 body once."""

from __future__ import annotations

from django.http import JsonResponse


class OAuthError(Exception):
    """RFC 6749 section 5.2 error; raised anywhere below a view."""

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def no_store(response):
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def oauth_json(data: dict, status: int = 200) -> JsonResponse:
    return no_store(JsonResponse(data, status=status))


def oauth_error_response(error: OAuthError) -> JsonResponse:
    response = oauth_json({"error": error.error, "error_description": error.description}, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def clear_site_data(response):
    """After a logout the browser drops the IdP's cookies and storage (Clear-Site-Data)."""
    response["Clear-Site-Data"] = '"cookies", "storage"'
    return response
