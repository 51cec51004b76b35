"""``/healthz`` and ``/readyz`` for load balancers and orchestrators.

``/healthz``: the process answers (liveness; nothing is checked, so a slow
database never gets a healthy process restarted). ``/readyz``: this node can
serve sign-ins and grants: PostgreSQL answers and the signing key ring loads.
Redis is reported but not required, since the database cache stands in for it
(``accounts.cache``). Both are cheap, never cached, and say nothing about anyone.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from accounts.cache import FailoverRedisCache
from accounts.oauth.keyring import KeyRingError, signing_keyring

logger = logging.getLogger("accounts.health")


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "unavailable"
    return "ok"


def _signing_keys() -> str:
    try:
        signing_keyring()
    except (KeyRingError, DatabaseError) as error:
        logger.warning("readyz: signing keys not loaded (%s)", type(error).__name__)
        return "unavailable"
    return "ok"


def _redis() -> str:
    backend = caches["default"]
    if not isinstance(backend, FailoverRedisCache):
        return "not configured"
    try:
        backend.primary.has_key("sso:readyz")  # a round trip to Redis itself, not to its stand-in
    except RedisError:
        return "degraded"  # the database cache stands in: still ready
    return "ok"


@never_cache
@require_safe
def readyz(request):
    checks = {"database": _database()}
    checks["signing_keys"] = _signing_keys() if checks["database"] == "ok" else "unavailable"
    checks["redis"] = _redis()
    ready = checks["database"] == "ok" and checks["signing_keys"] == "ok"
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)
