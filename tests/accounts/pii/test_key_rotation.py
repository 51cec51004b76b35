"""rotate_pii_key moves every value to the new key, survives interruption, loses nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.pii.audit import CURRENT, PREVIOUS_KEY, audit_pii_columns
from accounts.pii.blind_index import email_index
from accounts.pii.keyring import pii_keyring
from accounts.pii.raw import iter_raw_rows
from accounts.pii.registry import fields_by_model
from accounts.pii.rotation import rotate_pii_key

pytestmark = pytest.mark.django_db

OLD_KEY = "old-pii-key-for-rotation-tests-0123456789"
NEW_KEY = "new-pii-key-for-rotation-tests-9876543210"
ROWS = 3000


class Interrupted(Exception):
    pass


@pytest.fixture
def users_under_old_key(settings):
    settings.PII_KEY = OLD_KEY
    settings.PII_PREVIOUS_KEYS = []
    users = [User(email=f"user{i}@rotation.example", name=f"Name {i}") for i in range(ROWS)]
    for u in users:
        u.email_index = email_index(u.email)
        u.set_unusable_password()
    User.objects.bulk_create(users, batch_size=1000)
    return {str(u.pk): (u.email, u.name) for u in users}


def _verdicts() -> dict[str, int]:
    totals: dict[str, int] = {}
    for report in audit_pii_columns():
        for verdict, count in report.counts.items():
            totals[verdict] = totals.get(verdict, 0) + count
    return totals


def _all_rows_decrypt_with_only(key: str, settings, expected: dict) -> None:
    settings.PII_KEY = key
    settings.PII_PREVIOUS_KEYS = []
    found = {str(pk): (email, name) for pk, email, name in User.objects.values_list("pk", "email", "name")}
    assert found == expected


@pytest.mark.postgres
def test_rotation_reencrypts_every_value_and_loses_no_row(settings, users_under_old_key, capsys):
    settings.PII_KEY = NEW_KEY
    settings.PII_PREVIOUS_KEYS = [OLD_KEY]
    assert _verdicts() == {PREVIOUS_KEY: 2 * ROWS}

    call_command("rotate_pii_key", "--batch-size", "400")
    assert f"{ROWS} rows scanned, {2 * ROWS} values re-encrypted" in capsys.readouterr().out

    _all_rows_decrypt_with_only(NEW_KEY, settings, users_under_old_key)
    assert _verdicts() == {CURRENT: 2 * ROWS}
    call_command("audit_pii")


@pytest.mark.postgres
def test_interrupted_rotation_resumes_where_it_stopped(settings, users_under_old_key):
    settings.PII_KEY = NEW_KEY
    settings.PII_PREVIOUS_KEYS = [OLD_KEY]
    batches = []

    def stop_after_three_batches(table, result):
        batches.append(result.rows_scanned)
        if len(batches) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotate_pii_key(batch_size=250, on_batch=stop_after_three_batches)
    assert _verdicts() == {CURRENT: 2 * 750, PREVIOUS_KEY: 2 * (ROWS - 750)}

    resumed = rotate_pii_key(batch_size=250)
    assert resumed.rows_scanned == ROWS
    assert resumed.values_reencrypted == 2 * (ROWS - 750)  # committed batches are not redone

    _all_rows_decrypt_with_only(NEW_KEY, settings, users_under_old_key)
    again = rotate_pii_key(batch_size=250)
    assert again.values_reencrypted == 0


def test_rotation_rewrites_only_the_ciphertext(settings, make_user):
    settings.PII_KEY = OLD_KEY
    u = make_user("keep@example.org", name="Keep Me")
    before_index = User.objects.get(pk=u.pk).email_index
    settings.PII_KEY = NEW_KEY
    settings.PII_PREVIOUS_KEYS = [OLD_KEY]
    model, fields = User, fields_by_model()[User]
    ((_, old_email, _),) = list(iter_raw_rows(model, fields))

    rotate_pii_key()

    ((_, new_email, _),) = list(iter_raw_rows(model, fields))
    assert new_email != old_email
    assert pii_keyring().is_current(new_email)
    assert User.objects.get(pk=u.pk).email_index == before_index
    assert User.objects.get_by_email("KEEP@example.org").pk == u.pk
