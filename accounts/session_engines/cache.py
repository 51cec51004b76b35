"""SESSION_ENGINE with Redis: Django's ``cache`` store, keyed by ``stored_key`` only.

The browser sessions live in Redis (a sign-in writes no session row); the SSO
sessions every token hangs on are PostgreSQL rows. Two additions to Django's
store, both for keys kept as digests: a session stored under a previous
SECRET_KEY is found and moved under the current one; and a session that could
not be read (Redis away, the database cache standing in) is still deleted when
its browser signs out, so that it does not come back with Redis.
"""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cache

from accounts.session_engines import stored_keys


class SessionStore(cache.SessionStore):
    # A prefix of its own: entries cached under raw keys before are never read again.
    cache_key_prefix = "accounts.session_engines.cache"

    def _names(self, session_key: str) -> list[str]:
        return [self.cache_key_prefix + digest for digest in stored_keys(session_key)]

    @property
    def cache_key(self) -> str:
        return self._names(self._get_or_create_session_key())[0]

    async def acache_key(self) -> str:
        return self._names(await self._aget_or_create_session_key())[0]

    def load(self) -> dict:
        key = self.session_key
        if key:
            current, *previous = self._names(key)
            data = self._cache.get(current)
            for name in previous if data is None else ():
                data = self._cache.get(name)
                if data is not None:
                    self._cache.set(current, data, self.get_expiry_age(expiry=data.get("_session_expiry")))
                    self._cache.delete(name)
                    break
            if data is not None:
                return data
        self._unread_key = key
        self._session_key = None
        return {}

    async def aload(self) -> dict:
        return await sync_to_async(self.load)()

    def exists(self, session_key: str | None) -> bool:
        return bool(session_key) and any(name in self._cache for name in self._names(session_key))

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key or getattr(self, "_unread_key", None)
        if session_key:
            self._cache.delete_many(self._names(session_key))

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)
