"""The session stores write a session's row in one statement and its cache entry once."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction

from accounts.session_engines import cached_db, db, stored_key

STORES = [db.SessionStore, cached_db.SessionStore]
assert all(store.__module__.startswith("accounts.") for store in STORES)  # ours, not Django's


@pytest.fixture
def commits(monkeypatch):
    """How many times Django commits a transaction it opened (atomic's exit)."""
    counted = []
    original = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: (counted.append(1), original())[1])
    return counted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_outside_a_transaction_the_row_is_written_by_its_statement_alone(store_class, commits):
    store = store_class()
    store["step"] = 1
    store.save()
    store["step"] = 2
    store.save()
    assert commits == []  # no BEGIN ... COMMIT of its own, for the INSERT or the UPDATE
    assert Session.objects.get(session_key=stored_key(store.session_key)).get_decoded() == {"step": 2}
    assert store_class(store.session_key).load() == {"step": 2}


@pytest.mark.django_db(transaction=True)
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
    assert Session.objects.get(session_key=stored_key(first.session_key)).get_decoded() == {"owner": "first"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_saving_a_session_deleted_meanwhile_is_an_update_error(store_class):
    store = store_class()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=stored_key(store.session_key)).delete()
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=stored_key(store.session_key)).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_inside_a_transaction_a_refused_create_leaves_it_usable(store_class):
    first = store_class()
    first.save()
    with transaction.atomic():
        second = store_class()
        second._session_key = first.session_key
        with pytest.raises(CreateError):
            second.save(must_create=True)
        assert Session.objects.filter(session_key=stored_key(first.session_key)).count() == 1  # still usable


@pytest.mark.django_db
def test_a_new_session_is_written_to_the_cache_once(monkeypatch):
    store = cached_db.SessionStore()
    writes = []
    original = store._cache.set
    monkeypatch.setattr(store._cache, "set", lambda *args, **kwargs: (writes.append(args[0]), original(*args, **kwargs)))
    store["user"] = "someone"
    store.save()
    assert writes == [store.cache_key]
    assert cached_db.SessionStore(store.session_key).load() == {"user": "someone"}


def _inserted_by_the_caller(store_class):
    """A session whose row the caller's own statement (here, the ORM) inserted."""
    store = store_class()
    store["user"] = "someone"
    with store.inserting_row() as (key, data, expires):
        Session.objects.create(session_key=key, session_data=data, expire_date=expires)
    assert stored_key(store.session_key) == key
    return store


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_a_row_inserted_by_the_callers_statement_is_not_written_again(store_class):
    from django.test.utils import CaptureQueriesContext

    store = _inserted_by_the_caller(store_class)
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]
    assert store_class(store.session_key).load() == {"user": "someone"}
    assert Session.objects.get(session_key=stored_key(store.session_key)).get_decoded() == {"user": "someone"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_a_session_changed_after_its_row_was_inserted_is_saved_again(store_class):
    store = _inserted_by_the_caller(store_class)
    store["next"] = "/account/"
    store.save()
    assert Session.objects.get(session_key=stored_key(store.session_key)).get_decoded() == {"user": "someone", "next": "/account/"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store_class", STORES)
def test_a_failed_insert_leaves_the_session_to_be_created_as_usual(store_class):
    store = store_class()
    store["user"] = "someone"
    with pytest.raises(RuntimeError), store.inserting_row():
        raise RuntimeError("the caller's statement failed")
    assert store.session_key is None
    store.save()
    assert Session.objects.get(session_key=stored_key(store.session_key)).get_decoded() == {"user": "someone"}
