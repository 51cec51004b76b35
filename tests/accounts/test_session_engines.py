"""The session stores: Django's, keyed by a digest of the session key, refusals as Django's."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import caches

from accounts.session_engines import cache, db, stored_key

STORES = [db.SessionStore, cache.SessionStore]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("store_class", STORES)
def test_a_taken_key_is_refused_and_the_existing_session_kept(store_class):
    first = store_class()
    first["owner"] = "first"
    first.save()
    second = store_class()
    second._session_key = first.session_key
    second["owner"] = "second"
    with pytest.raises(CreateError):
        second.save(must_create=True)
    assert store_class(first.session_key).load() == {"owner": "first"}


@pytest.mark.parametrize("store_class", STORES)
def test_saving_a_session_deleted_meanwhile_is_an_update_error(store_class):
    store = store_class()
    store["x"] = 1
    store.save()
    store_class().delete(store.session_key)
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()
    assert not store_class().exists(store.session_key)


def test_the_table_holds_only_a_digest_of_the_key():
    store = db.SessionStore()
    store["x"] = 1
    store.save()
    assert list(Session.objects.values_list("session_key", flat=True)) == [stored_key(store.session_key)]


def test_the_cache_holds_only_a_digest_of_the_key():
    store = cache.SessionStore()
    store["x"] = 1
    store.save()
    shared = caches["default"]
    assert shared.get(store.cache_key_prefix + stored_key(store.session_key)) is not None
    assert shared.get(store.cache_key_prefix + store.session_key) is None


@pytest.mark.parametrize("store_class", STORES)
def test_a_session_stored_under_a_previous_secret_is_found_and_moved_under_the_current_one(settings, store_class):
    store = store_class()
    store["x"] = 1
    store.save()
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-rotated-secret-" + "y" * 40, [old_secret]
    assert store_class(store.session_key).load() == {"x": 1}
    settings.SECRET_KEY_FALLBACKS = []
    assert store_class().exists(store.session_key)  # stored under the current secret's digest now


def test_a_session_that_could_not_be_read_is_still_deleted_at_sign_out():
    """Redis away: the database cache stands in and knows no session from before; a
    sign-out then must still delete the entry Redis holds, or it would come back."""
    store = cache.SessionStore()
    store["x"] = 1
    store.save()
    key = store.session_key
    caches["default"].delete(store.cache_key)  # as if unreadable
    unread = cache.SessionStore(key)
    assert unread.load() == {}
    store.save(must_create=True)  # Redis still holds it
    unread.flush()  # what logout() does
    assert not cache.SessionStore().exists(key)
