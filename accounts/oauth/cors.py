"""django-cors-headers asks us whether an origin may call the token/API endpoints."""

from __future__ import annotations

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver

from accounts.oauth.registry import allowed_cors_origins


@receiver(check_request_enabled)
def allow_registered_partner_origins(sender, request, **kwargs) -> bool:
    origin = request.headers.get("Origin")
    # Most requests (every server-to-server call) carry no Origin: no cache lookup for them.
    return bool(origin) and origin in allowed_cors_origins()
