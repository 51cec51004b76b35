"""The JWT signing key ring: per algorithm, the newest key signs once it has been published
for ``PUBLISH_AHEAD``; older keys keep verifying.

The ring lives in PostgreSQL (``StoredSigningKey``: the private key sealed by
``accounts.oauth.key_storage``), so every node signs with the same keys and
publishes the same JWKS. Each process keeps the ring in memory and asks the
database at most every ``RECHECK_SECONDS`` whether a row changed (one aggregate
query), so a rotation on any node is used by every node within a few seconds.

Each algorithm in use has a current key, so that a site registered for RS256
(the OpenID default) keeps getting RS256 when another site wants ES256 (Dynamic
Client Registration section 2, ``id_token_signed_response_alg``). A new key is in
the JWKS of every process before any process signs with it. A key is retired
when a newer one of its algorithm begins to sign and stays published in the
JWKS until every token it could have signed has expired (the longest token
lifetime, plus leeway); then ``rotate_signing_key`` deletes it. Rotations are
serialised by a PostgreSQL advisory lock: two nodes rotating at once make one key.

When the ring is empty, the PEM files of ``SSO['SIGNING_KEY_DIR']`` (the folder
the ring lived in before, or development's generated key) are imported, as
``import_signing_keys`` does.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from threading import Lock
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from accounts.conf import sso_settings
from accounts.models import StoredSigningKey
from accounts.oauth.key_storage import UnsealableKey, seal, unseal
from sso_project.keys import new_private_key

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
    def from_private_key(cls, kid: str, created_at: datetime, private_key: Any) -> "SigningKey":
        return cls(kid, algorithm_of(private_key), created_at, private_key, private_key.public_key(),
                   _issuer_only_secret(private_key, kid))  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        """A PEM file ``<created-ms>-<kid>.pem``, as the ring kept its keys before it moved to the database."""
        match = KEY_FILE.match(path.name)
        if not match:
            raise KeyRingError(f"{path.name}: signing key files are named <created-ms>-<kid>.pem")
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        created = datetime.fromtimestamp(int(match["created"]) / 1000, tz=dt_timezone.utc)
        try:
            return cls.from_private_key(match["kid"], created, private_key)
        except KeyRingError as error:
            raise KeyRingError(f"{path.name}: {error}") from None

    @classmethod
    def from_record(cls, record: StoredSigningKey) -> "SigningKey":
        try:
            private_key = unseal(record.sealed_private_key, kid=record.kid, algorithm=record.algorithm)
        except UnsealableKey as error:  # a node with the wrong key-encryption key: one error for every caller
            raise KeyRingError(str(error)) from None
        key = cls.from_private_key(record.kid, record.created_at, private_key)
        if key.algorithm != record.algorithm:
            raise KeyRingError(f"signing key {record.kid}: stored as {record.algorithm}, is {key.algorithm}")
        return key

    def to_record(self, retired_at: datetime | None = None) -> StoredSigningKey:
        return StoredSigningKey(
            kid=self.kid,
            algorithm=self.algorithm,
            created_at=self.created_at,
            retired_at=retired_at,
            public_jwk=self.public_jwk(),
            sealed_private_key=seal(self.private_key, kid=self.kid, algorithm=self.algorithm),
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


def algorithm_of(private_key: Any) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and private_key.curve.name == "secp256r1":
        return "ES256"
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise KeyRingError("unsupported key type (RSA, P-256 or Ed25519)")


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
        grace, ahead = retirement_grace(), PUBLISH_AHEAD
        self.current_by_algorithm: dict[str, SigningKey] = {}
        windows, upcoming = [], []
        for algorithm in dict.fromkeys(key.algorithm for key in self.keys):
            of_algorithm = [key for key in self.keys if key.algorithm == algorithm]
            # A new key is published PUBLISH_AHEAD before it signs: by then every process,
            # whose view of the ring is at most RECHECK_SECONDS old, lists it in its JWKS, so a
            # verifier that meets its kid finds it wherever it fetches. The first key signs at once.
            signing = [key for key in of_algorithm if key.created_at + ahead <= now] or of_algorithm[:1]
            self.current_by_algorithm[algorithm] = signing[-1]
            upcoming += of_algorithm[len(signing) :]
            # Key i was retired when key i+1 of its algorithm began to sign; it is
            # published until the last token it may have signed has expired.
            windows += [
                (key, successor.created_at + ahead + grace)
                for key, successor in zip(of_algorithm, of_algorithm[1:], strict=False)
            ]
        # Tokens bound to no site's algorithm (refresh-token MACs) take the configured
        # algorithm's current key, or the newest key of all.
        self.current = self.current_by_algorithm.get(
            sso_settings().signing_algorithm, max(self.current_by_algorithm.values(), key=lambda k: k.created_at)
        )
        open_windows = [(key, end) for key, end in windows if end > now]
        published = {key.kid for key in [*self.current_by_algorithm.values(), *upcoming]}
        published |= {key.kid for key, _ in open_windows}
        self.published = [key for key in self.keys if key.kid in published]
        changes = [end for _, end in open_windows] + [key.created_at + ahead for key in upcoming]
        self.next_change = min(changes, default=None)
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


RECHECK_SECONDS = 2.0  # how stale a node's view of the ring may be; see docs/reference.md
PUBLISH_AHEAD = timedelta(seconds=2 * RECHECK_SECONDS)  # a new key's time in the JWKS before it signs
_cache: dict[str, Any] = {"ring": None, "version": None, "checked_at": 0.0}
_lock = Lock()
_ROTATION_LOCK = 8_253_661  # the PostgreSQL advisory lock every rotation takes: any number no other lock uses


def _version() -> tuple:
    """Changes whenever a key is added, retired or deleted, on any node."""
    found = StoredSigningKey.objects.aggregate(count=Count("pk"), last=Max("pk"), retired=Max("retired_at"))
    return found["count"], found["last"], found["retired"]


def signing_keyring() -> SigningKeyRing:
    """The ring as the database holds it, at most ``RECHECK_SECONDS`` old."""
    ring, now = _cache["ring"], time.monotonic()
    if ring is not None and now - _cache["checked_at"] < RECHECK_SECONDS and not _window_closed(ring):
        return ring
    with _lock:
        version = _version()
        if ring is None or version != _cache["version"] or _window_closed(ring):
            if version[0] == 0 and import_key_folder(sso_settings().signing_key_dir):
                version = _version()
            records = list(StoredSigningKey.objects.all())
            if not records:
                raise KeyRingError("the signing key ring is empty: run manage.py rotate_signing_key")
            ring = SigningKeyRing([SigningKey.from_record(record) for record in records])
        _cache.update(ring=ring, version=version, checked_at=now)
    return ring


def forget_cached_ring() -> None:
    """The next ``signing_keyring()`` reads the database (after a change made here, and in tests)."""
    _cache.update(ring=None, version=None, checked_at=0.0)


def _window_closed(ring: SigningKeyRing) -> bool:
    # Publication windows close with time even when no row changes.
    return ring.next_change is not None and datetime.now(dt_timezone.utc) >= ring.next_change


def signing_key_for(site) -> SigningKey:
    """The current key of the algorithm ``site`` is registered for."""
    return signing_keyring().current_for(site.id_token_signed_response_alg)


def import_key_folder(directory: Path | None) -> list[str]:
    """Adds the PEM keys of ``directory`` to the ring (those it lacks); returns their kids."""
    if directory is None or not Path(directory).is_dir():
        return []
    keys = sorted((SigningKey.load(path) for path in Path(directory).glob("*.pem")), key=lambda k: k.created_at)
    successors = {}
    for key in keys:  # a key was retired when the next of its algorithm was created
        later = [other for other in keys if other.algorithm == key.algorithm and other.created_at > key.created_at]
        successors[key.kid] = later[0].created_at if later else None
    known = set(StoredSigningKey.objects.filter(kid__in=[k.kid for k in keys]).values_list("kid", flat=True))
    new = [key for key in keys if key.kid not in known]
    StoredSigningKey.objects.bulk_create([key.to_record(successors[key.kid]) for key in new], ignore_conflicts=True)
    forget_cached_ring()
    return [key.kid for key in new]


def _lock_rotations() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ROTATION_LOCK])


def ensure_signing_key(algorithm: str) -> SigningKey | None:
    """A current key for ``algorithm``, made now if the ring has none; the new key or None."""
    if algorithm in signing_keyring().current_by_algorithm:
        return None
    key, _ = rotate_signing_key(algorithm, only_if_missing=True)
    return key


def rotate_signing_key(algorithm: str | None = None, *, only_if_missing: bool = False) -> tuple[SigningKey, list[str]]:
    """Create a new current key of ``algorithm`` (by default SSO_SIGNING_ALGORITHM); delete
    keys whose publication window has closed. Other algorithms' keys are untouched.

    A rotation that waited for the lock while another node rotated the same
    algorithm takes that node's new key instead of making a second one."""
    algorithm = algorithm or sso_settings().signing_algorithm
    if not StoredSigningKey.objects.exists():
        import_key_folder(sso_settings().signing_key_dir)  # an empty ring takes the PEM folder's keys first
    asked_at = timezone.now()
    with transaction.atomic():
        _lock_rotations()
        newest = StoredSigningKey.objects.filter(algorithm=algorithm).order_by("-created_at").first()
        if newest is not None and (only_if_missing or newest.created_at >= asked_at):
            forget_cached_ring()
            return SigningKey.from_record(newest), []
        now = timezone.now()
        key = SigningKey.from_private_key(new_kid(), now, new_private_key(algorithm))
        StoredSigningKey.objects.filter(algorithm=algorithm, retired_at__isnull=True).update(retired_at=now)
        key.to_record().save()
        records = list(StoredSigningKey.objects.all())
        ring = SigningKeyRing([SigningKey.from_record(record) for record in records])
        removed = [old.kid for old in ring.expired_keys()]
        StoredSigningKey.objects.filter(kid__in=removed).delete()
    forget_cached_ring()
    return key, removed


def new_kid() -> str:
    return secrets.token_hex(8)
