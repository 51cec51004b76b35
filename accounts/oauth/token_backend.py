"""simplejwt's TokenBackend, extended to sign with the key ring and verify by ``kid``.

Verification never trusts the token's header for the algorithm: the key named
by ``kid`` and the kind of token fix it (the key's own algorithm; HS256 under the
key's derived MAC key for refresh tokens, which only this provider reads), so
``alg: none`` and HS256-signed-with-the-public-key tokens fail, and the ``typ``
header must be the one expected for the kind of token being read (RFC 8725
section 3.11), so one kind is never taken for another.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from accounts.conf import sso_settings
from accounts.oauth.keyring import ISSUER_ONLY_ALGORITHM, SigningKey, signing_keyring


def unverified_header(token: str) -> dict[str, Any]:
    """Only the JOSE header, to pick the key by ``kid``: PyJWT's get_unverified_header
    decodes the whole token. PyJWT checks the header again when it verifies."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, AttributeError):
        raise TokenBackendError("Token is invalid") from None
    if not isinstance(header, dict):
        raise TokenBackendError("Token is invalid")
    return header


class KeyRingTokenBackend(TokenBackend):
    def __init__(self, typ: str, audience: str | None = None, *, verify_exp: bool = True, issuer_only: bool = False):
        super().__init__(
            algorithm="RS256",  # placeholder for simplejwt's check: the ring's keys decide
            issuer=sso_settings().issuer,
            audience=audience,
            leeway=sso_settings().jwt_leeway,
        )
        self.typ = typ
        self.verify_exp = verify_exp  # False only for id_token_hint, which may have expired
        self.issuer_only = issuer_only  # MAC'd, not signed: see accounts.oauth.keyring

    def _algorithm_and_keys(self, key: SigningKey) -> tuple[str, Any, Any]:
        """(algorithm, signing key, verification key) of this kind of token under ``key``."""
        if self.issuer_only:
            return ISSUER_ONLY_ALGORITHM, key.issuer_only_secret, key.issuer_only_secret
        return key.algorithm, key.private_key, key.public_key

    def encode(self, payload: dict[str, Any], key: SigningKey | None = None) -> str:
        """``payload`` signed (or MAC'd) under ``key``, by default the ring's current key."""
        key = key or signing_keyring().current
        algorithm, signing_key, _ = self._algorithm_and_keys(key)
        claims = {**payload, "iss": self.issuer}
        if self.audience is not None:
            claims["aud"] = self.audience
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": key.kid, "typ": self.typ})

    def decode(self, token: str, verify: bool = True) -> dict[str, Any]:
        header = unverified_header(token)
        if not verify:
            return jwt.decode(token, options={"verify_signature": False})
        if str(header.get("typ", "")).lower().removeprefix("application/") != self.typ.lower():
            raise TokenBackendError("Token has the wrong type")
        key = signing_keyring().verification_key(str(header.get("kid", "")))
        if key is None:
            raise TokenBackendError("Token is signed by an unknown key")
        algorithm, _, verification_key = self._algorithm_and_keys(key)
        if header.get("alg") != algorithm:
            raise TokenBackendError("Token algorithm does not match its key")
        try:
            return jwt.decode(
                token,
                verification_key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.get_leeway(),
                options={
                    "require": ["exp", "iat", "iss", "jti"],
                    "verify_aud": self.audience is not None,
                    "verify_exp": self.verify_exp,
                },
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenBackendExpiredToken("Token is expired") from error
        except jwt.InvalidTokenError as error:
            raise TokenBackendError("Token is invalid") from error
