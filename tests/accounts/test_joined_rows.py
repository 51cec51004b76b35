"""Hand-written joined reads (accounts/joined_rows.py) give the same instances the ORM would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.joined_rows import JoinedRead, Part
from accounts.models import SSOSession, User

pytestmark = pytest.mark.django_db

_SESSION, _USER = Part.of(SSOSession, "s"), Part.of(User, "u", defer=("email", "name"))
BY_SID = JoinedRead([_SESSION, _USER], f"FROM {_SESSION.table} JOIN {_USER.table} ON u.id = s.user_id WHERE s.sid = %s")


@pytest.fixture
def session(db):
    user = User.objects.create_user(email="grace@example.org", password="a long passphrase", name="Grace Hopper")
    return SSOSession.objects.create(
        user=user, ended_at=timezone.now() - timedelta(minutes=1), network_id="203.0.113.0"
    )


def test_a_row_becomes_the_instances_the_orm_would_load(session):
    loaded, user = BY_SID.fetch([session.sid])
    expected = SSOSession.objects.select_related("user").get(pk=session.pk)
    for field in SSOSession._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.ended_at.tzinfo is not None and loaded._state.adding is False
    assert (user.pk, user.is_active, user.email_index) == (expected.user.pk, True, expected.user.email_index)


def test_left_out_fields_are_deferred_and_decrypted_when_read(session):
    _, user = BY_SID.fetch([session.sid])
    assert user.get_deferred_fields() == {"email", "name"}
    with CaptureQueriesContext(connection) as queries:
        assert (user.email, user.name) == ("grace@example.org", "Grace Hopper")
    assert len(queries) == 2  # one per deferred field, as after defer()


def test_read_fields_are_converted_as_by_the_orm(session):
    everything = Part.of(User, "u")
    (user,) = JoinedRead([everything], f"FROM {everything.table} WHERE u.email_index = %s").fetch(
        [session.user.email_index]
    )
    assert (user.email, user.name) == ("grace@example.org", "Grace Hopper")  # decrypted on load
    assert user.get_deferred_fields() == set()


def test_related_instances_are_set_as_select_related_leaves_them(session):
    loaded = BY_SID.fetch_related([session.sid], "user")
    with CaptureQueriesContext(connection) as queries:
        assert (loaded.user.pk, loaded.user_id) == (session.user_id, session.user_id)
    assert len(queries) == 0


def test_no_row_is_none(session):
    assert BY_SID.fetch(["no-such-sid"]) is None
    assert BY_SID.fetch_related(["no-such-sid"], "user") is None


def test_the_account_read_by_email_is_the_one_the_orm_would_load(session):
    with CaptureQueriesContext(connection) as queries:
        loaded = User.objects.get_by_natural_key("  GRACE@Example.org ")
    expected = User.objects.get(pk=session.user_id)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.get_deferred_fields() == set() and loaded._state.adding is False
    assert len(queries) == 1 and "grace" not in queries[0]["sql"].lower()  # by blind index, not by address
    loaded.name = "Grace B. Hopper"
    loaded.save(update_fields=["name"])  # an ordinary instance: it saves as one
    assert User.objects.get(pk=session.user_id).name == "Grace B. Hopper"


def test_an_unknown_email_raises_does_not_exist_without_echoing_it(db):
    with pytest.raises(User.DoesNotExist) as raised:
        User.objects.get_by_natural_key("nobody@example.org")
    assert "nobody" not in str(raised.value)
