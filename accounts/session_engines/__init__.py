"""Django's database-backed session stores, with the session key kept only as a digest.

The store never holds a session key: the cookie carries it, and the table's
``session_key`` column and the cache keys hold only ``stored_key(key)``, a keyed
digest (HMAC-SHA256 under SECRET_KEY), so a copy of the database or of Redis
opens no session (DESIGN.md section 4). Everything else is Django's.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import db as django_db
from django.utils import timezone
from django.utils.crypto import salted_hmac

STORED_KEY_SALT = "accounts.session_engines.stored_key"


def stored_key(session_key: str, secret: str | None = None) -> str:
    """What the store keeps for ``session_key``: 40 hex digits (the column's width,
    160 bits) of its HMAC, from which the key cannot be recovered."""
    return salted_hmac(STORED_KEY_SALT, session_key, secret=secret, algorithm="sha256").hexdigest()[:40]


def stored_keys(session_key: str) -> list[str]:
    """``stored_key`` under SECRET_KEY, then under each of SECRET_KEY_FALLBACKS: a
    rotation of the secret keeps browsers signed in, as Django's session hashes do."""
    return [stored_key(session_key), *(stored_key(session_key, old) for old in settings.SECRET_KEY_FALLBACKS)]


class DigestedKeys(django_db.SessionStore):
    """Django's database store, reading and writing rows by ``stored_key`` only."""

    def _get_session_from_db(self):
        keys = stored_keys(self.session_key)
        row = self.model.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).first()
        if row is None:
            self._session_key = None
        elif row.session_key != keys[0]:  # stored under a previous secret: re-keyed under the current one
            self.model.objects.filter(session_key=row.session_key).update(session_key=keys[0])
            row.session_key = keys[0]
        return row

    def exists(self, session_key: str | None) -> bool:
        return bool(session_key) and self.model.objects.filter(session_key__in=stored_keys(session_key)).exists()

    def create_model_instance(self, data):
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key__in=stored_keys(session_key)).delete()

    # Django's async variants read and write by the raw key: here they take the paths above.
    async def _aget_session_from_db(self):
        return await sync_to_async(self._get_session_from_db)()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def acreate_model_instance(self, data):
        return await sync_to_async(self.create_model_instance)(data)

    async def adelete(self, session_key: str | None = None) -> None:
        return await sync_to_async(self.delete)(session_key)
