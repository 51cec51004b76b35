"""Counting attempts in the shared cache (Redis, or the database cache): one counter
per key, expiring with its window, shared by every server process."""

from __future__ import annotations


def count_attempt(cache, key: str, window_seconds: int) -> int:
    """Add one to ``key``'s counter, created for ``window_seconds``; returns the new count."""
    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, window_seconds)
        return 1
