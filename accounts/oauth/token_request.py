"""A request to a client-authenticated endpoint, parsed and with its client authenticated."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from accounts.models import PartnerSite


@dataclass(frozen=True)
class TokenRequest:
    site: PartnerSite
    params: QueryDict
    network_id: str = ""
