"""The IdP's public keys, fetched from discovery and cached in process.

An unknown ``kid`` triggers one refetch (keys rotate), at most once per
REFETCH_INTERVAL so a flood of forged kids cannot turn into a flood of requests.
"""

from __future__ import annotations

import threading
import time

import requests
from joserfc import jwk
from joserfc.errors import JoseError

REFETCH_INTERVAL = 10.0
HTTP_TIMEOUT = 5.0


class KeyNotFound(Exception):
    pass


class JWKSCache:
    def __init__(self, issuer: str):
        self.issuer = issuer.rstrip("/")
        self._keys: dict[str, jwk.Key] = {}
        self._jwks_uri: str | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def jwks_uri(self) -> str:
        if self._jwks_uri is None:
            metadata = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
            if metadata.get("issuer") != self.issuer:
                raise KeyNotFound("discovery issuer mismatch")
            self._jwks_uri = metadata["jwks_uri"]
        return self._jwks_uri

    def _refresh(self) -> None:
        keys = requests.get(self.jwks_uri(), timeout=HTTP_TIMEOUT).json().get("keys", [])
        self._keys = {key["kid"]: jwk.import_key(key) for key in keys if "kid" in key and "alg" in key}
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> jwk.Key:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            never_fetched = not self._fetched_at
            may_refetch = time.monotonic() - self._fetched_at >= REFETCH_INTERVAL
            if kid not in self._keys and (never_fetched or may_refetch):
                try:
                    self._refresh()
                except (requests.RequestException, ValueError, KeyError, JoseError) as error:
                    raise KeyNotFound(f"JWKS unavailable: {type(error).__name__}") from None
        key = self._keys.get(kid)
        if key is None:
            raise KeyNotFound("unknown kid")
        return key


_caches: dict[str, JWKSCache] = {}


def jwks_for(issuer: str) -> JWKSCache:
    cache = _caches.get(issuer)
    if cache is None:
        cache = _caches.setdefault(issuer, JWKSCache(issuer))
    return cache
