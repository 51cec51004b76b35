"""Django's database-backed session stores, with the session a login starts
written once.

``login()`` calls ``cycle_key`` against session fixation, and Django's creates
the new session at once: it looks for a free key (in the cache and the
database), inserts the row and writes the cache; the response then saves the
same session again with the user in it. Here ``cycle_key`` deletes the old
session and forgets its key, keeping the data; the save at the end of the
response creates the session under a fresh key with its final content, one
INSERT and one cache write. A new key is 32 random characters (165 bits) saved
with ``must_create``: a collision is refused by the primary key and retried,
not looked for first.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.utils.crypto import get_random_string


class SessionWrittenOnce:
    def cycle_key(self) -> None:
        data = self._session
        key = self.session_key
        self._session_key = None  # the response's save creates the new session
        self._session_cache = data
        self.modified = True
        if key:
            self.delete(key)

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)
