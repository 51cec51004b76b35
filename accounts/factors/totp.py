"""Authenticator apps (RFC 6238 with pyotp): 30-second steps, six digits, one step of
clock drift either way, and each step's code accepted once (the account's row is
locked while a code is checked, so two requests cannot both spend one code)."""

from __future__ import annotations

import time

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import TOTPAuthenticator, User

STEP_SECONDS = 30
DRIFT_STEPS = 1


def pending_authenticator(user: User) -> TOTPAuthenticator:
    """The account's authenticator app being set up (a new secret), or its confirmed one."""
    device, _ = TOTPAuthenticator.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32()})
    return device


def provisioning_uri(device: TOTPAuthenticator) -> str:
    # The account is named by its id, not its address: the app's list shows the brand.
    return pyotp.TOTP(device.secret).provisioning_uri(name=str(device.user_id)[:8], issuer_name=settings.SSO_BRAND_NAME)


def qr_svg(device: TOTPAuthenticator) -> str:
    """The provisioning URI as an inline SVG QR code, drawn on the server."""
    return segno.make(provisioning_uri(device), error="m").svg_inline(scale=5, dark="#1c1f2b", light="#ffffff")


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def verify_code(user: User, code: str, *, confirming: bool = False) -> bool:
    """True for a code of the account's app (its confirmed one; the one being set up
    with ``confirming``) from a time step later than the last accepted."""
    with transaction.atomic():
        device = (
            TOTPAuthenticator.objects.select_for_update().filter(user=user, confirmed_at__isnull=confirming).first()
        )
        if device is None:
            return False
        step = _matching_step(device.secret, code, time.time())
        if step is None or step <= device.last_used_step:
            return False
        device.last_used_step = step
        fields = ["last_used_step"]
        if confirming:
            device.confirmed_at = timezone.now()
            fields.append("confirmed_at")
        device.save(update_fields=fields)
    return True
