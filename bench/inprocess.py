"""In-process figures: partner-side token verification (the reusable DRF class)
next to a bare PyJWT decode of the same tokens; and, in slices that run.py
alternates with the login load, the Argon2id verification limit."""

from __future__ import annotations

import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso_project.settings")
django.setup()

import jwt  # noqa: E402
from django.contrib.auth.hashers import get_hasher, make_password  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from joserfc import jwk  # noqa: E402

from accounts.oauth.keyring import signing_keyring  # noqa: E402
from accounts.oauth.tokens import SSOAccessToken  # noqa: E402
from marketplace_demo.partner_auth import verify as partner_verify  # noqa: E402
from marketplace_demo.partner_auth.authentication import IdPAccessTokenAuthentication  # noqa: E402
from marketplace_demo.partner_auth.jwks import jwks_for  # noqa: E402


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def argon2_verifications(duration: float) -> tuple[int, float]:
    """(verifications, seconds) of the production hasher for about ``duration`` seconds."""
    encoded = make_password("benchmark passphrase 2026")
    hasher = get_hasher()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < duration:
        hasher.verify("benchmark passphrase 2026", encoded)
        count += 1
    return count, time.perf_counter() - started


def main(duration: float) -> None:
    issuer = os.environ["SSO_ISSUER"]
    figures = {}
    ring = signing_keyring()
    key = ring.current
    cache = jwks_for(issuer)  # filled from the ring: no HTTP in the measured loop
    cache._keys = {k.kid: jwk.import_key(k.public_jwk()) for k in ring.published}
    cache._fetched_at = time.monotonic()

    tokens = [
        str(
            SSOAccessToken(audience="bench-web").set_claims(
                sub=f"user-{i}", client_id="bench-web", scope="openid email", sid=f"sid-{i}"
            )
        )
        for i in range(4000)
    ]

    started = time.perf_counter()
    for token in tokens:
        jwt.decode(token, key.public_key, algorithms=[key.algorithm], audience="bench-web", issuer=issuer)
    figures["pyjwt_decode_per_s"] = rate(len(tokens), time.perf_counter() - started)

    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(PARTNER_API_AUTH={"ISSUER": issuer, "AUDIENCE": "bench-web"}, CACHES=locmem):
        auth = IdPAccessTokenAuthentication()
        requests = [RequestFactory().get("/api", HTTP_AUTHORIZATION=f"Bearer {t}") for t in tokens]
        partner_verify._seen.clear()
        started = time.perf_counter()
        for request in requests:
            auth.authenticate(request)
        figures["partner_verify_per_s"] = rate(len(requests), time.perf_counter() - started)

        seen = requests[:100]
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < duration / 3:
            for request in seen:
                auth.authenticate(request)
            count += len(seen)
        figures["partner_verify_cached_per_s"] = rate(count, time.perf_counter() - started)
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "argon2":  # one slice of the login comparison (run.py alternates them)
        count, seconds = argon2_verifications(float(sys.argv[2]))
        json.dump({"count": count, "seconds": seconds}, sys.stdout)
    else:
        main(float(sys.argv[1]))
