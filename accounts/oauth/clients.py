"""Client authentication at the token, revocation and introspection endpoints.

client_secret_basic and client_secret_post for confidential clients (RFC 6749
section 2.3.1), ``none`` for public clients, which must then prove possession
with PKCE.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from django.http import QueryDict

from accounts.models import PartnerSite
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.registry import active_site


def _invalid_client(used_basic: bool) -> OAuthError:
    headers = {"WWW-Authenticate": 'Basic realm="sso"'} if used_basic else {}
    return OAuthError("invalid_client", "Client authentication failed.", status=401, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        client_id, secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid_client(True) from None
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(authorization: str, params: QueryDict) -> PartnerSite:
    """The client named by the ``Authorization`` header or the form ``params``, authenticated."""
    basic = _basic_credentials(authorization)
    post_id, post_secret = params.get("client_id"), params.get("client_secret")
    if basic and post_secret is not None:
        raise invalid_request("Use one client authentication method, not several.")
    if basic:
        client_id, secret = basic
        if post_id is not None and post_id != client_id:
            raise invalid_request("client_id does not match the authenticated client.")
    else:
        client_id, secret = post_id, post_secret
    if not client_id:
        raise _invalid_client(False)
    site = active_site(client_id)
    if site is None:
        raise _invalid_client(bool(basic))
    if site.is_confidential:
        if not secret or not site.check_client_secret(secret):
            raise _invalid_client(bool(basic))
    elif secret:
        raise _invalid_client(bool(basic))  # a public client has no secret to present
    return site
