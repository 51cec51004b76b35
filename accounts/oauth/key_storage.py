"""Signing keys at rest: sealed with AES-256-GCM (``cryptography``) under a key derived
from ``SIGNING_KEY_ENCRYPTION_KEY``, which is separate from the PII key, so that
either can leak or rotate without the other. The kid and the algorithm are the
associated data: a sealed key copied onto another row does not open.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12


class UnsealableKey(Exception):
    """The stored key does not open under SIGNING_KEY_ENCRYPTION_KEY (another key, or tampered)."""


def _aead() -> AESGCM:
    secret = settings.SIGNING_KEY_ENCRYPTION_KEY.encode()
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sso signing keys v1").derive(secret))


def _associated_data(kid: str, algorithm: str) -> bytes:
    return f"{kid}:{algorithm}".encode()


def seal(private_key: Any, *, kid: str, algorithm: str) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _aead().encrypt(nonce, der, _associated_data(kid, algorithm))


def unseal(sealed: bytes, *, kid: str, algorithm: str) -> Any:
    sealed = bytes(sealed)
    try:
        der = _aead().decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated_data(kid, algorithm))
    except InvalidTag:
        raise UnsealableKey(f"signing key {kid} does not open under SIGNING_KEY_ENCRYPTION_KEY") from None
    return serialization.load_der_private_key(der, password=None)
