"""The session stores: Django's, keyed by a digest of the session key, refusals as Django's."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import transaction

from accounts.session_engines import cached_db, db, stored_key

STORES = [db.SessionStore, cached_db.SessionStore]
assert all(store.__module__.startswith("accounts.") for store in STORES)  # ours, not Django's


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


def _inserted_by_the_caller(store_class):
    """A session whose row the caller's own statement (here, the ORM) inserted."""
    store = store_class()
    store["user"] = "someone"
    with store.inserting_row() as (key, data, expires):
        Session.objects.create(session_key=key, session_data=data, expire_date=expires)
    assert stored_key(store.session_key) == key
    return store
