"""Redis as the shared cache, with the database cache table as its stand-in
while Redis is unreachable (deny-list entries, login-failure counters, cached
sessions keep working; nothing fails open).

What a process writes or deletes while Redis is down goes to the table only, so
Redis still holds the entries from before the outage: a partner site's cached
registration from before its secret changed, a session from before its logout.
When Redis answers again, the process first deletes every key it changed
meanwhile from Redis, so those are read afresh from the database rather than
served stale. The other way round, the table is emptied when a process turns to
it: what an earlier outage left there may have changed in Redis since. (So
login-failure counts start again from zero at each switch.)"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("accounts.cache")

RETRY_REDIS_AFTER_SECONDS = 5.0
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "decr",
    "set_many",
    "delete_many",
    "clear",
)
WRITES = frozenset({"add", "set", "touch", "delete", "incr", "decr"})
MANY_WRITES = frozenset({"set_many", "delete_many"})  # their first argument: a mapping or list of keys


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django builds a new ``redis.Redis`` for every cache operation, and redis-py's
    constructor fills a table of some 170 response callbacks each time. A client
    is thread-safe over its connection pool, so one per pool is enough."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class FailoverRedisCache(BaseCache):
    """``LOCATION``: the Redis URL; ``OPTIONS["FALLBACK_TABLE"]``: a createcachetable table."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        table = options.pop("FALLBACK_TABLE")
        super().__init__({**params, "OPTIONS": options})
        self.primary = RedisCache(server, {**params, "OPTIONS": options})
        self.primary._class = ReusedClientRedisCacheClient
        self.fallback = DatabaseCache(table, {k: v for k, v in params.items() if k != "OPTIONS"})
        self._down_until = 0.0
        self._on_fallback = False
        self._changed_while_down: set[tuple[str, int | None]] = set()  # (key, version)
        self._cleared_while_down = False

    def _call(self, operation: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                if self._on_fallback:
                    self._forget_in_redis_what_changed_while_down()
                    self._on_fallback = False
                return getattr(self.primary, operation)(*args, **kwargs)
            except RedisError as error:
                self._down_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
                logger.warning("redis unavailable (%s); using the database cache", type(error).__name__)
                if not self._on_fallback:
                    self.fallback.clear()
                    self._on_fallback = True
        self._note_change(operation, args, kwargs)
        return getattr(self.fallback, operation)(*args, **kwargs)

    def _note_change(self, operation: str, args: tuple, kwargs: dict) -> None:
        version = kwargs.get("version")
        if operation in WRITES:
            self._changed_while_down.add((args[0] if args else kwargs["key"], version))
        elif operation in MANY_WRITES:
            keys = args[0] if args else kwargs.get("data", kwargs.get("keys"))
            self._changed_while_down.update((key, version) for key in keys)
        elif operation == "clear":
            self._cleared_while_down = True

    def _forget_in_redis_what_changed_while_down(self) -> None:
        changed, cleared = list(self._changed_while_down), self._cleared_while_down  # other threads may add
        if cleared:
            self.primary.clear()
        by_version: dict[int | None, list[str]] = {}
        for key, version in changed:
            by_version.setdefault(version, []).append(key)
        for version, keys in by_version.items():
            self.primary.delete_many(keys, version=version)  # raises RedisError if Redis is still away
        self._changed_while_down.difference_update(changed)
        if cleared:
            self._cleared_while_down = False
        logger.info("redis reachable again; %d keys changed meanwhile were dropped from it", len(changed))

    def close(self, **kwargs):
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)


def _delegate(operation: str):
    def method(self, *args, **kwargs):
        return self._call(operation, *args, **kwargs)

    method.__name__ = operation
    return method


for _operation in OPERATIONS:
    setattr(FailoverRedisCache, _operation, _delegate(_operation))
