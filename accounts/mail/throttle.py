"""How much mail one network, and one address, can make the IdP send: a page that
mails an address on request must not become a way to flood someone's inbox."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from accounts.counting import count_attempt
from accounts.network import network_id
from accounts.pii.blind_index import email_index

WINDOW_SECONDS = 3600


def _key(kind: str, value: str) -> str:
    return f"mail:{kind}:" + salted_hmac("accounts.mail.throttle", value, algorithm="sha256").hexdigest()[:40]


def mail_throttled(request: HttpRequest, address: str) -> bool:
    """Counts one message to ``address`` from ``request``'s network; True once either
    allowance of the hour (MAIL_PER_NETWORK_PER_HOUR, MAIL_PER_ACCOUNT_PER_HOUR) is used up.
    The address is counted by its blind index whether or not it has an account."""
    network = count_attempt(cache, _key("network", network_id(request)), WINDOW_SECONDS)
    address_count = count_attempt(cache, _key("address", email_index(address)), WINDOW_SECONDS)
    return network > settings.MAIL_PER_NETWORK_PER_HOUR or address_count > settings.MAIL_PER_ACCOUNT_PER_HOUR
