"""The PII key ring: one current key that encrypts, previous keys that still decrypt.

The ciphertext format is django-cryptography's (Fernet-like: version byte,
timestamp, IV, AES-CBC ciphertext, HMAC-SHA256). Its default signer keys the
HMAC with Django's SECRET_KEY, which would tie every stored email to the
cookie-signing secret; here both the AES key and the HMAC key are derived from
the PII key alone (HKDF, distinct labels), so PII_KEY can rotate on its own
schedule and SECRET_KEY can rotate without touching personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.core.signing import BadSignature
from django.dispatch import receiver
from django_cryptography.core.signing import FernetSigner
from django_cryptography.utils.crypto import FernetBytes, InvalidToken


class UndecryptableValue(Exception):
    """No key of the ring authenticates this value: corrupt, foreign or plaintext."""


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


@dataclass(frozen=True)
class PIIKey:
    fernet: FernetBytes

    @classmethod
    def from_secret(cls, secret: str) -> "PIIKey":
        encryption_key = _derive(secret, b"sso pii v1 aes-256-cbc")
        mac_key = _derive(secret, b"sso pii v1 hmac-sha256")
        return cls(FernetBytes(encryption_key, FernetSigner(mac_key, "sha256")))

    def decrypt(self, token: bytes) -> bytes:
        if not isinstance(token, bytes):
            raise UndecryptableValue("not ciphertext")
        try:
            return self.fernet.decrypt(token)
        except (BadSignature, InvalidToken) as error:
            raise UndecryptableValue from error


class PIIKeyRing:
    def __init__(self, current: str, previous: list[str]):
        if not current:
            raise ValueError("the PII key ring needs a current key")
        self.current = PIIKey.from_secret(current)
        self.previous = [PIIKey.from_secret(secret) for secret in previous if secret != current]

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.current.fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        for key in (self.current, *self.previous):
            try:
                return key.decrypt(token)
            except UndecryptableValue:
                continue
        raise UndecryptableValue("no key of the PII key ring authenticates this value")

    def is_current(self, token: bytes) -> bool:
        try:
            self.current.decrypt(token)
        except UndecryptableValue:
            return False
        return True


@lru_cache(maxsize=1)
def pii_keyring() -> PIIKeyRing:
    return PIIKeyRing(settings.PII_KEY, list(settings.PII_PREVIOUS_KEYS))


@receiver(setting_changed)
def _reset_keyring(*, setting: str, **kwargs) -> None:
    if setting in {"PII_KEY", "PII_PREVIOUS_KEYS"}:
        pii_keyring.cache_clear()
