"""Redis as the shared cache, with the database cache table as its stand-in
while Redis is unreachable (deny-list entries, login-failure counters, cached
sessions keep working; nothing fails open)."""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("accounts.cache")

RETRY_REDIS_AFTER_SECONDS = 5.0
OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "decr", "set_many",
              "delete_many", "clear")


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

    def _call(self, operation: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self.primary, operation)(*args, **kwargs)
            except RedisError as error:
                self._down_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
                logger.warning("redis unavailable (%s); using the database cache", type(error).__name__)
        return getattr(self.fallback, operation)(*args, **kwargs)

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
