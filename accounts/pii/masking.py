"""Masked renderings of PII for people who may not see it in clear."""

from __future__ import annotations

MASK = "\u2022\u2022\u2022"


def mask_email(email: str) -> str:
    """``jane@example.com`` -> ``j•••@e•••.com``."""
    if not email or "@" not in email:
        return MASK
    local, _, domain = email.rpartition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    masked_domain = f"{host[:1]}{MASK}{dot}{tld}"
    return f"{local[:1]}{MASK}@{masked_domain}"


def mask_name(name: str) -> str:
    """``Jane Doe`` -> ``J••• D•••``."""
    if not name:
        return ""
    return " ".join(f"{part[:1]}{MASK}" for part in name.split())
