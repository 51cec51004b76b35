"""The legacy identity provider, seen through its RFC 7662 introspection and RFC 7009 revocation endpoints."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote

from django.conf import settings

from accounts.outbound import post_form

logger = logging.getLogger("tokenexchange.legacy")


class LegacyProviderUnavailable(Exception):
    """Unreachable, too slow, or answering something other than a usable response."""


def _post(url: str, form: dict[str, str]) -> tuple[int, bytes]:
    config = settings.LEGACY_IDP
    credentials = f"{quote(config['CLIENT_ID'], safe='')}:{quote(config['CLIENT_SECRET'], safe='')}"
    headers = {
        "Accept": "application/json",
        "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
    }
    try:
        return post_form(url, form, headers=headers, timeout=config["TIMEOUT_SECONDS"])  # a redirect is not followed
    except (OSError, ValueError) as error:  # refused, timed out, bad URL
        raise LegacyProviderUnavailable(type(error).__name__) from None


def is_configured() -> bool:
    config = settings.LEGACY_IDP
    return bool(config["INTROSPECTION_URL"] and config["ISSUER"])


def introspect_refresh_token(token: str) -> dict:
    status, body = _post(settings.LEGACY_IDP["INTROSPECTION_URL"], {"token": token, "token_type_hint": "refresh_token"})
    if status != 200:
        raise LegacyProviderUnavailable(f"introspection answered HTTP {status}")
    try:
        data = json.loads(body)
    except ValueError:
        raise LegacyProviderUnavailable("introspection answered something other than JSON") from None
    if not isinstance(data, dict):
        raise LegacyProviderUnavailable("introspection answered something other than a JSON object")
    return data


def revoke_refresh_token(token: str) -> None:
    """Best effort, after our commit: the token is already consumed on our side."""
    url = settings.LEGACY_IDP["REVOCATION_URL"]
    if not url:
        return
    try:
        status, _ = _post(url, {"token": token, "token_type_hint": "refresh_token"})
    except LegacyProviderUnavailable as error:
        logger.warning("legacy revocation failed: %s", error)
        return
    if status != 200:
        logger.warning("legacy revocation answered HTTP %s", status)
