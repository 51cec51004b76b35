"""What the partner keeps about a signed-in user beyond its pseudonymous ``sub``
and ``sid``: the tokens and the display name, sealed (Fernet, authenticated
encryption) under PARTNER_TOKEN_KEY, which never enters the session table.

A copy of the partner's database therefore yields no usable access, refresh or
ID token and no name; the e-mail address is not kept at all (the page that
shows the profile asks the IdP's API for it).
"""

from __future__ import annotations

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@functools.cache
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"partner sealed session").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(values: dict) -> str:
    return _fernet(settings.PARTNER["TOKEN_KEY"]).encrypt(json.dumps(values).encode()).decode()


def unseal(sealed: str | None) -> dict | None:
    """The sealed values, or None when absent, forged or sealed under another key."""
    if not sealed:
        return None
    try:
        return json.loads(_fernet(settings.PARTNER["TOKEN_KEY"]).decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return None
