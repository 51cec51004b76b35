"""A request to a client-authenticated endpoint, parsed and with its client authenticated."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from accounts.models import PartnerSite
from accounts.oauth.errors import invalid_request


@dataclass(frozen=True)
class TokenRequest:
    site: PartnerSite
    params: QueryDict
    network_id: str = ""

    def required(self, name: str) -> str:
        """A parameter the request must carry (RFC 6749 section 5.2: invalid_request without it)."""
        value = self.params.get(name)
        if not value:
            raise invalid_request(f"{name} is required")
        return value
