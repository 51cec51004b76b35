"""Reduced network identifiers: enough to tell sessions apart, not to locate a person.

An IPv4 address is truncated to its /24, an IPv6 address to its /48 (the
prefixes are settings). Only the reduced form is ever stored or logged.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from accounts.conf import sso_settings


def reduce_ip(address: str | None) -> str:
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = sso_settings().network_id_ipv4_prefix if ip.version == 4 else sso_settings().network_id_ipv6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_id(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a client-supplied X-Forwarded-For would let anyone pick
    # their own identifier. Behind a proxy, the proxy must set REMOTE_ADDR.
    return reduce_ip(request.META.get("REMOTE_ADDR"))
