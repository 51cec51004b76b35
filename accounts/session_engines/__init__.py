"""Django's database-backed session stores, with the session a login starts
written once, in one statement.

``login()`` calls ``cycle_key`` against session fixation, and Django's creates
the new session at once: it looks for a free key (in the cache and the
database), inserts the row and writes the cache; the response then saves the
same session again with the user in it. Here ``cycle_key`` deletes the old
session and forgets its key, keeping the data; the save at the end of the
response creates the session under a fresh key with its final content, one
INSERT and one cache write. A new key is 32 random characters (165 bits) saved
with ``must_create``: a collision is refused by the primary key and retried,
not looked for first.

Django also wraps the row's one INSERT or UPDATE in a transaction of its own
(BEGIN and COMMIT, two more round trips) so that a refused write cannot spoil
a transaction around it; outside any transaction the statement is atomic by
itself, and ``RowWrittenAlone`` sends just that statement.

The store never holds a session key: the cookie carries it, and the table's
``session_key`` column and the cache keys hold only ``stored_key(key)``, a keyed
digest (HMAC-SHA256 under SECRET_KEY), so a copy of the database or of Redis
opens no session (DESIGN.md section 4).

A password login on PostgreSQL goes one step further: its one statement
(``accounts/session_start.py``) inserts the new session's row with the SSO
session, from ``inserting_row``; the response's save then writes the cache, and
the row again only if the session changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac

STORED_KEY_SALT = "accounts.session_engines.stored_key"


def stored_key(session_key: str, secret: str | None = None) -> str:
    """What the store keeps for ``session_key``: 40 hex digits (the column's width,
    160 bits) of its HMAC, from which the key cannot be recovered."""
    return salted_hmac(STORED_KEY_SALT, session_key, secret=secret, algorithm="sha256").hexdigest()[:40]


def stored_keys(session_key: str) -> list[str]:
    """``stored_key`` under SECRET_KEY, then under each of SECRET_KEY_FALLBACKS: a
    rotation of the secret keeps browsers signed in, as Django's session hashes do."""
    return [stored_key(session_key), *(stored_key(session_key, old) for old in settings.SECRET_KEY_FALLBACKS)]


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

    @contextmanager
    def inserting_row(self) -> Iterator[tuple[str, str, datetime]]:
        """The session, under a new key, as the row (key, data, expiry) for the
        caller's statement to insert inside this block. When the block completes
        the session has that key, and its response's save skips the row unless
        the session changed meanwhile; when it raises, nothing has changed. Only
        for a session without a key (a login's, after ``cycle_key``) and outside
        a transaction, where the caller's statement commits at once. (A taken key
        fails that statement with nothing written, as a taken sid does.)"""
        assert self.session_key is None, "the session already has a row"
        key = self._get_new_session_key()
        data = dict(self._get_session(no_load=True))
        yield stored_key(key), self.encode(data), self.get_expiry_date()
        self._session_key = key
        self._row_inserted_with = data

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            # create() saves under a new key (with cached_db, the row then the
            # cache); Django's cached_db would write the cache a second time.
            return self.create()
        return super().save(must_create)


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
        return self.model(session_key=stored_key(self._get_or_create_session_key()),
                          session_data=self.encode(data), expire_date=self.get_expiry_date())

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


class RowWrittenAlone(DigestedKeys):
    """The database store's save, without a transaction of its own when none is open."""

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        if not must_create and getattr(self, "_row_inserted_with", None) == self._session:
            return  # inserted as it is, by a login's statement (inserting_row)
        self._row_inserted_with = None
        using = router.db_for_write(self.model)
        if connections[using].in_atomic_block:
            return super().save(must_create)  # Django's: a savepoint around the write
        row = self.create_model_instance(self._get_session(no_load=must_create))
        try:
            row.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:  # as Django's: a taken key is a CreateError, retried by create()
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
