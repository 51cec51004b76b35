"""SESSION_ENGINE with Redis: Django's ``cached_db`` store, the cache keyed, like the
table, by ``stored_key`` only."""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db

from accounts.session_engines import DigestedKeys, stored_key


class SessionStore(cached_db.SessionStore, DigestedKeys):
    # A prefix of its own: entries cached under raw keys before are never read again.
    cache_key_prefix = "accounts.session_engines.cached_db"

    @property
    def cache_key(self) -> str:
        return self.cache_key_prefix + stored_key(self._get_or_create_session_key())

    async def acache_key(self) -> str:
        return self.cache_key_prefix + stored_key(await self._aget_or_create_session_key())

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        return (self.cache_key_prefix + stored_key(session_key)) in self._cache or DigestedKeys.exists(
            self, session_key
        )

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is None:
            return
        DigestedKeys.delete(self, session_key)
        self._cache.delete(self.cache_key_prefix + stored_key(session_key))

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)
