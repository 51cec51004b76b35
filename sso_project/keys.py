"""Loading the deployment's secrets: from the environment, from a key folder,
or (in development only) generated once into the git-ignored key folder.

Every secret has its own purpose and its own key: Django's SECRET_KEY signs
cookies, the PII key encrypts personal data, the blind-index key makes email
look-ups possible without decrypting, the signing keys sign JWTs. A leak of
one does not give away the others.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from sso_project.env import ConfigError


class KeySource:
    def __init__(self, key_dir: Path, generate_missing: bool):
        self.key_dir = key_dir
        self.generate_missing = generate_missing

    def secret(self, env_name: str, file_name: str, *, nbytes: int = 32) -> str:
        """The secret from ``env_name``, else from ``key_dir/file_name``.

        In development a missing file is created with a fresh random secret;
        in production a missing secret is a configuration error.
        """
        value = os.environ.get(env_name, "").strip()
        if value:
            return value
        path = self.key_dir / file_name
        if path.exists():
            value = path.read_text().strip()
            if value:
                return value
        if not self.generate_missing:
            raise ConfigError(
                f"missing key: set {env_name} or create {path} (keys are generated only when DJANGO_DEBUG=true)"
            )
        try:
            self._write_private(path, secrets.token_urlsafe(nbytes) + "\n")
        except FileExistsError:
            pass  # another process generated it first: use theirs
        return path.read_text().strip()

    def secret_list(self, env_name: str, file_name: str) -> list[str]:
        """Optional list of secrets (previous PII keys during a rotation)."""
        raw = os.environ.get(env_name)
        if raw is None:
            path = self.key_dir / file_name
            raw = path.read_text() if path.exists() else ""
        return [item.strip() for item in raw.replace(",", "\n").splitlines() if item.strip()]

    def signing_key_dir(self, env_name: str, dir_name: str) -> Path | None:
        """Folder of PEM private keys imported into the database's key ring when it is
        empty: the folder the ring lived in before, or development's generated key."""
        raw = os.environ.get(env_name, "").strip()
        path = Path(raw) if raw else self.key_dir / dir_name
        if any(path.glob("*.pem")):
            return path
        if raw:
            raise ConfigError(
                f"no JWT signing key (*.pem) in {path}: fix {env_name}, or unset it (the ring is in the database)"
            )
        if not self.generate_missing:
            return None
        generate_signing_key_file(path, os.environ.get("SSO_SIGNING_ALGORITHM", "RS256"))
        return path

    @staticmethod
    def _write_private(path: Path, content: str) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)


SIGNING_ALGORITHMS = ("RS256", "ES256", "EdDSA")


def new_private_key(algorithm: str = "RS256"):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ConfigError(f"signing algorithm {algorithm!r} is not one of {', '.join(SIGNING_ALGORITHMS)}")


def generate_signing_key_file(directory: Path, algorithm: str = "RS256") -> Path:
    """Write a new private signing key as ``<created-ms>-<kid>.pem`` (mode 600): development's
    first key, imported into the database's ring (``accounts.oauth.keyring``).

    The file name carries what the key ring needs to order keys and publish
    them by ``kid``; the key type tells the algorithm.
    """
    from cryptography.hazmat.primitives import serialization

    pem = new_private_key(algorithm).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = directory / f"{time.time_ns() // 1_000_000:013d}-{secrets.token_hex(8)}.pem"
    KeySource._write_private(path, pem.decode())
    return path
