"""Recovery codes: ten, shown once, each good once; stored as HMACs under SECRET_KEY, so
a copy of the table alone cannot be tried offline against the codes' 50 bits."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import RecoveryCode, User

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
LENGTH = 10


def _normalise(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def _digest(code: str) -> str:
    return salted_hmac("accounts.factors.recovery", _normalise(code), algorithm="sha256").hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's codes with ten new ones, returned once for the user to keep."""
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    shown = [f"{code[:5]}-{code[5:]}" for code in codes]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_digest(code)) for code in codes)
    return shown


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused code of the account; True if it was one (exactly once, under concurrency)."""
    normalised = _normalise(code)
    if len(normalised) != LENGTH:
        return False
    spent = RecoveryCode.objects.filter(user=user, code_hash=_digest(normalised), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return spent == 1


def unused_count(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
