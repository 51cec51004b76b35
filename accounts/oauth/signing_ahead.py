"""Token signatures computed while the request's thread waits for PostgreSQL.

A grant signs its tokens and records them in one statement. An RSA-2048
signature is a fifth to a quarter of a refresh, and the statement's round trip
(executed and committed on the database's core) about a third, during which
the request's thread only waits. Neither needs the other: the statement stores the
refresh token's identifiers and digest, never the access or ID token's
signature. So the signatures are handed to a signer thread and the statement
sent; the request's thread waits on PostgreSQL's socket with the GIL released,
and the signer signs meanwhile.

What could fail is settled on the request's thread before anything is written:
the key is chosen and the claims are fixed by the caller; the signer thread only
does the arithmetic. Tokens leave only after their statement succeeded; a
signature nobody collects is dropped.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from accounts.oauth.claims import token_hash
from accounts.oauth.keyring import SigningKey
from accounts.oauth.tokens import IDToken, SSOAccessToken

# One request signs at a time in a sync worker; a few threads serve threaded servers.
SIGNER_THREADS = 2

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """This process's signer threads: a forked child gets its own (threads do not survive a fork)."""
    global _pool
    pid = os.getpid()
    if _pool is None or _pool[0] != pid:
        with _lock:
            if _pool is None or _pool[0] != pid:
                _pool = (pid, ThreadPoolExecutor(max_workers=SIGNER_THREADS, thread_name_prefix="token-signer"))
    return _pool[1]


def sign_ahead(
    key: SigningKey, access: SSOAccessToken, id_token: IDToken | None = None
) -> Future[tuple[str, str | None]]:
    """Start signing ``access`` and then ``id_token`` (given its ``at_hash``) under ``key``.

    The result is ``(access_token, id_token or None)``. Neither token may change
    until it is collected.
    """
    return _executor().submit(_sign, key, access, id_token)


def _sign(key: SigningKey, access: SSOAccessToken, id_token: IDToken | None) -> tuple[str, str | None]:
    signed_access = access.get_token_backend().encode(access.payload, key)
    if id_token is None:
        return signed_access, None
    id_token.payload["at_hash"] = token_hash(signed_access, key.algorithm)
    return signed_access, id_token.get_token_backend().encode(id_token.payload, key)
