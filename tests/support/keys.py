"""The signing key ring as it is once a new key's publication ahead of use has passed."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone


def after_publish_ahead() -> None:
    """Every key younger than PUBLISH_AHEAD made that much older: as the ring stands
    PUBLISH_AHEAD after a rotation, when the new key signs (accounts/oauth/keyring.py)."""
    from accounts.models import StoredSigningKey
    from accounts.oauth.keyring import PUBLISH_AHEAD, forget_cached_ring

    recent = StoredSigningKey.objects.filter(created_at__gt=timezone.now() - PUBLISH_AHEAD)
    recent.update(created_at=F("created_at") - PUBLISH_AHEAD)
    forget_cached_ring()
