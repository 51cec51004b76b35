"""The JWT signing key ring: per algorithm, the newest key signs, older keys keep verifying.

Keys are PEM files ``<created-ms>-<kid>.pem`` in ``sso_settings().signing_key_dir``
(see ``sso_project.keys.generate_signing_key_file``); the key type tells the
algorithm. Each algorithm in use has a current key, so that a site registered for
RS256 (the OpenID default) keeps getting RS256 when another site wants ES256
(Dynamic Client Registration section 2, ``id_token_signed_response_alg``). A key
is retired when a newer one of its algorithm is created and stays published in
the JWKS until every token it could have signed has expired (the longest token
lifetime, plus leeway); then ``rotate_signing_key`` deletes it.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from threading import Lock
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from accounts.conf import sso_settings
from sso_project.keys import generate_signing_key_file

KEY_FILE = re.compile(r"^(?P<created>\d{13})-(?P<kid>[0-9a-f]{16})\.pem$")


class KeyRingError(Exception):
    pass


def _b64(number_or_bytes: int | bytes) -> str:
    data = number_or_bytes
    if isinstance(data, int):
        data = data.to_bytes((data.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Refresh tokens are read by this provider alone (RFC 6749 section 1.5: never by a
# resource server), so they carry a MAC instead of a signature: HS256, under a key
# derived from the ring key named by their ``kid``. They rotate and retire with
# that key, no secret is added, and the JWKS reveals nothing of it. An RSA
# signature costs about 25 times more and would let anyone holding the public key
# check a token that only we ever need to check.
ISSUER_ONLY_ALGORITHM = "HS256"
_ISSUER_ONLY_INFO = b"sso refresh-token MAC, HS256, v1"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    created_at: datetime
    private_key: Any
    public_key: Any
    issuer_only_secret: bytes  # the MAC key of tokens only this provider reads

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        match = KEY_FILE.match(path.name)
        if not match:
            raise KeyRingError(f"{path.name}: signing key files are named <created-ms>-<kid>.pem")
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private_key, rsa.RSAPrivateKey):
            algorithm = "RS256"
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and private_key.curve.name == "secp256r1":
            algorithm = "ES256"
        elif isinstance(private_key, ed25519.Ed25519PrivateKey):
            algorithm = "EdDSA"
        else:
            raise KeyRingError(f"{path.name}: unsupported key type (RSA, P-256 or Ed25519)")
        created = datetime.fromtimestamp(int(match["created"]) / 1000, tz=dt_timezone.utc)
        return cls(
            match["kid"],
            algorithm,
            created,
            private_key,
            private_key.public_key(),
            _issuer_only_secret(private_key, match["kid"]),
        )

    def public_jwk(self) -> dict[str, str]:
        jwk = {"kid": self.kid, "use": "sig", "alg": self.algorithm}
        if self.algorithm == "RS256":
            numbers = self.public_key.public_numbers()
            return {**jwk, "kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}
        if self.algorithm == "ES256":
            numbers = self.public_key.public_numbers()
            return {
                **jwk,
                "kty": "EC",
                "crv": "P-256",
                "x": _b64(numbers.x.to_bytes(32, "big")),
                "y": _b64(numbers.y.to_bytes(32, "big")),
            }
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {**jwk, "kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}


def _issuer_only_secret(private_key: Any, kid: str) -> bytes:
    material = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=kid.encode(), info=_ISSUER_ONLY_INFO).derive(material)


def retirement_grace() -> timedelta:
    sso = sso_settings()
    return (
        max(sso.access_token_lifetime, sso.id_token_lifetime, sso.refresh_token_lifetime, sso.logout_token_lifetime)
        + sso.jwt_leeway
    )


class SigningKeyRing:
    def __init__(self, keys: list[SigningKey], now: datetime | None = None):
        if not keys:
            raise KeyRingError("the signing key ring is empty")
        self.keys = sorted(keys, key=lambda k: (k.created_at, k.kid))
        now = now or datetime.now(dt_timezone.utc)
        grace = retirement_grace()
        self.current_by_algorithm: dict[str, SigningKey] = {}
        windows = []
        for algorithm in dict.fromkeys(key.algorithm for key in self.keys):
            of_algorithm = [key for key in self.keys if key.algorithm == algorithm]
            self.current_by_algorithm[algorithm] = of_algorithm[-1]
            # Key i was retired when key i+1 of its algorithm was created; it is
            # published until the last token it may have signed has expired.
            windows += [
                (key, successor.created_at + grace)
                for key, successor in zip(of_algorithm, of_algorithm[1:], strict=False)
            ]
        # Tokens bound to no site's algorithm (refresh-token MACs) take the configured
        # algorithm's current key, or the newest key of all.
        self.current = self.current_by_algorithm.get(sso_settings().signing_algorithm, self.keys[-1])
        open_windows = [(key, end) for key, end in windows if end > now]
        published = {key.kid for key in self.current_by_algorithm.values()} | {key.kid for key, _ in open_windows}
        self.published = [key for key in self.keys if key.kid in published]
        self.next_change = min((end for _, end in open_windows), default=None)
        self._by_kid = {key.kid: key for key in self.published}

    def current_for(self, algorithm: str) -> SigningKey:
        """The key that signs tokens for sites registered with ``algorithm``."""
        key = self.current_by_algorithm.get(algorithm)
        if key is None:
            raise KeyRingError(f"no {algorithm} signing key: run manage.py rotate_signing_key --algorithm {algorithm}")
        return key

    def verification_key(self, kid: str) -> SigningKey | None:
        return self._by_kid.get(kid)

    def expired_keys(self) -> list[SigningKey]:
        return [key for key in self.keys if key.kid not in self._by_kid]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.public_jwk() for key in reversed(self.published)]}


_cache: dict[str, Any] = {"stamp": None, "ring": None}
_lock = Lock()


def _directory() -> Path:
    return Path(sso_settings().signing_key_dir)


def signing_keyring() -> SigningKeyRing:
    """The ring, re-read whenever the key folder changes (rotation by another process)."""
    directory = _directory()
    stat = os.stat(directory)
    stamp = (str(directory), stat.st_mtime_ns)
    ring = _cache["ring"]
    if ring is None or _cache["stamp"] != stamp or _window_closed(ring):
        with _lock:
            keys = [SigningKey.load(path) for path in sorted(directory.glob("*.pem"))]
            ring = SigningKeyRing(keys)
            _cache.update(stamp=stamp, ring=ring)
    return ring


def _window_closed(ring: SigningKeyRing) -> bool:
    # Publication windows close with time even when no file changes.
    return ring.next_change is not None and datetime.now(dt_timezone.utc) >= ring.next_change


def signing_key_for(site) -> SigningKey:
    """The current key of the algorithm ``site`` is registered for."""
    return signing_keyring().current_for(site.id_token_signed_response_alg)


def ensure_signing_key(algorithm: str) -> SigningKey | None:
    """A current key for ``algorithm``, made now if the ring has none; the new key or None."""
    if algorithm in signing_keyring().current_by_algorithm:
        return None
    return rotate_signing_key(algorithm)[0]


def rotate_signing_key(algorithm: str | None = None) -> tuple[SigningKey, list[str]]:
    """Create a new current key of ``algorithm`` (by default SSO_SIGNING_ALGORITHM); delete
    keys whose publication window has closed. Other algorithms' keys are untouched."""
    directory = _directory()
    path = generate_signing_key_file(directory, algorithm or sso_settings().signing_algorithm)
    ring = signing_keyring()
    removed = []
    for key in ring.expired_keys():
        for stale in directory.glob(f"*-{key.kid}.pem"):
            stale.unlink()
            removed.append(key.kid)
    return SigningKey.load(path), removed
