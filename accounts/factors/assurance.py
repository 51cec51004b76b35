"""Authentication methods (``amr``, RFC 8176) and the classes they add up to (``acr``).

The set of ``acr`` values is small and documented (docs/reference.md), published in
discovery as ``acr_values_supported``; the stronger class satisfies a request for
the weaker one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

PASSWORD, OTP, MFA = "pwd", "otp", "mfa"  # RFC 8176 section 2

ACR_PASSWORD = "urn:privacy-sso:acr:password"
ACR_MFA = "urn:privacy-sso:acr:mfa"
ACR_VALUES = (ACR_PASSWORD, ACR_MFA)  # weakest first
_RANK = {value: rank for rank, value in enumerate(ACR_VALUES)}


def with_second_factor(methods: Iterable[str], factor: str) -> list[str]:
    """The methods of a sign-in that added ``factor`` to ``methods``: two factors, so ``mfa``."""
    combined = [m for m in dict.fromkeys([*methods, factor]) if m != MFA]
    return [*combined, MFA]


def acr_for(methods: Sequence[str]) -> str:
    return ACR_MFA if MFA in methods else ACR_PASSWORD


def satisfies(methods: Sequence[str], requested: Sequence[str]) -> bool:
    """Whether a sign-in with ``methods`` meets one of the ``requested`` classes
    (unknown values are met by nothing)."""
    have = _RANK[acr_for(methods)]
    return any(value in _RANK and have >= _RANK[value] for value in requested)
