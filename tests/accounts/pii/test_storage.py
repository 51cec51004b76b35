"""Personal data is ciphertext in the database, and the operator's audit proves it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from accounts.pii.blind_index import email_index

pytestmark = pytest.mark.django_db


def _bulk_users(count: int) -> list[User]:
    users = [User(email=f"Person.{i}@Example-{i % 7}.org", name=f"Given{i} Family{i}") for i in range(count)]
    for u in users:
        u.set_unusable_password()
        u.email_index = email_index(u.email)  # bulk_create bypasses save()
    return User.objects.bulk_create(users)


def _raw_email_name_rows() -> list[tuple[bytes, bytes]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, name FROM accounts_user")
        return [tuple(bytes(v) for v in row) for row in cursor.fetchall()]


@pytest.mark.postgres
def test_raw_columns_hold_no_fragment_of_any_email_or_name():
    users = _bulk_users(100)
    rows = _raw_email_name_rows()
    assert len(rows) == 100
    blob = b"\n".join(value for row in rows for value in row).lower()
    for u in users:
        local, domain = u.email.lower().split("@")
        for fragment in (local, domain, *u.name.lower().split()):
            assert fragment.encode() not in blob, fragment


@pytest.mark.postgres
def test_audit_passes_then_names_the_row_overwritten_with_plaintext(capsys):
    users = _bulk_users(100)
    call_command("audit_pii")
    assert "PII audit passed" in capsys.readouterr().out

    victim = users[42]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET email = convert_to(%s, 'UTF8') WHERE id = %s",
            ["leaked@example.org", victim.pk],
        )
    with pytest.raises(CommandError):
        call_command("audit_pii")
    err = capsys.readouterr().err
    assert "accounts_user.email" in err
    assert str(victim.pk) in err
    assert "plaintext" in err
    assert "leaked@example.org" not in err  # the audit itself never prints PII


def test_audit_counts_every_registered_column(capsys, make_user):
    make_user()
    make_user(name="")  # an empty name is encrypted too: the column does not tell who has one
    call_command("audit_pii")
    out = capsys.readouterr().out
    assert "accounts_user.email: 2 rows, 2 ciphertext (current key)" in out
    assert "accounts_user.name: 2 rows, 2 ciphertext (current key), 0 ciphertext (previous key), 0 empty" in out


def test_ciphertext_of_a_foreign_key_is_reported_unreadable(capsys, make_user, settings):
    u = make_user()
    settings.PII_KEY = "a-key-the-data-was-never-written-with"
    with pytest.raises(CommandError):
        call_command("audit_pii")
    err = capsys.readouterr().err
    assert f"unreadable value(s) in row id(s) {u.pk}" in err


def test_encrypted_values_round_trip_and_differ_per_row(make_user):
    a = make_user("same@example.org", name="Same Name")
    make_user("other@example.org", name="Same Name")
    fresh = User.objects.get(pk=a.pk)
    assert (fresh.email, fresh.name) == ("same@example.org", "Same Name")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM accounts_user")
        names = [bytes(row[0]) for row in cursor.fetchall()]
    assert names[0] != names[1]  # random IV: equal names are not equal ciphertexts


def test_str_of_a_user_carries_no_pii(user):
    # Whole words: a random id may well contain the letters "ada" (4ada24a9 did, once).
    assert str(user) == f"user {str(user.pk)[:8]}"
    assert "example.org" not in str(user) and "lovelace" not in str(user).lower()
