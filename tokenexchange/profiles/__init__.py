"""RFC 8693 token exchange, as three profiles chosen by the token types presented.

| subject_token_type | actor_token_type | profile |
|---|---|---|
| refresh_token | (none) | legacy identity-provider migration |
| id_token | device-secret | OpenID Connect Native SSO |
| access_token | (none) or access_token | audience / delegation |

Any other combination is refused; nothing falls through to a default.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.audit import EventType, record_event
from accounts.oauth.errors import OAuthError, invalid_request
from accounts.oauth.token_request import TokenRequest
from tokenexchange.profiles.delegation import exchange_for_audience
from tokenexchange.profiles.legacy_migration import exchange_legacy_refresh_token
from tokenexchange.profiles.native_sso import exchange_native_sso
from tokenexchange.request import (
    ACCESS_TOKEN,
    DEVICE_SECRET,
    ID_TOKEN,
    REFRESH_TOKEN,
    ExchangeRequest,
    unsupported_token_type,
)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"

Profile = Callable[[ExchangeRequest, TokenRequest], dict]

PROFILES: dict[tuple[str, str], tuple[str, Profile]] = {
    (REFRESH_TOKEN, ""): ("legacy_migration", exchange_legacy_refresh_token),
    (ID_TOKEN, DEVICE_SECRET): ("native_sso", exchange_native_sso),
    (ACCESS_TOKEN, ""): ("audience", exchange_for_audience),
    (ACCESS_TOKEN, ACCESS_TOKEN): ("delegation", exchange_for_audience),
}


def choose_profile(exchange: ExchangeRequest) -> tuple[str, Profile]:
    key = (exchange.subject_token_type, exchange.actor_token_type)
    if key in PROFILES:
        return PROFILES[key]
    if exchange.subject_token_type == ID_TOKEN and not exchange.actor_token_type:
        raise invalid_request("Native SSO needs the device secret as actor_token")
    raise unsupported_token_type("This combination of subject and actor token types is not supported")


def grant_token_exchange(token_request: TokenRequest) -> dict:
    """The token endpoint's handler for ``GRANT_TYPE`` (registered by ``TokenExchangeConfig.ready``)."""
    profile_name = "unknown"
    try:
        exchange = ExchangeRequest.parse(token_request.site, token_request.params)
        profile_name, profile = choose_profile(exchange)
        return profile(exchange, token_request)
    except OAuthError as error:
        record_event(
            EventType.TOKEN_EXCHANGE_REFUSED,
            client_id=token_request.site.client_id,
            profile=profile_name,
            error=error.error,
        )
        raise
