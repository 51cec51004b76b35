"""The signing key ring in PostgreSQL: sealed at rest, shared by every node, rotated once
however many nodes ask at the same moment, and imported from the PEM folder it lived in."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from accounts.models import StoredSigningKey
from accounts.oauth.keyring import KeyRingError, SigningKey, forget_cached_ring, signing_keyring
from accounts.oauth.tokens import SSOAccessToken
from sso_project.keys import generate_signing_key_file

ROOT = Path(__file__).resolve().parents[3]


def access_token() -> str:
    return str(SSOAccessToken(audience="site").set_claims(sub="s", client_id="site", scope="openid", sid="x"))


@pytest.mark.django_db
def test_a_copy_of_the_database_holds_no_usable_private_key(settings):
    ring = signing_keyring()
    record = StoredSigningKey.objects.get(kid=ring.current.kid)
    der = ring.current.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sealed_private_key FROM {StoredSigningKey._meta.db_table} WHERE kid = %s", [record.kid])
        (sealed,) = cursor.fetchone()
    assert der[-64:] not in bytes(sealed) and b"PRIVATE KEY" not in bytes(sealed)
    assert "d" not in record.public_jwk  # the public half only, in clear

    settings.SIGNING_KEY_ENCRYPTION_KEY = "another deployment's key-encryption key"
    with pytest.raises(KeyRingError, match="does not open"):
        SigningKey.from_record(record)


@pytest.mark.django_db
def test_a_sealed_key_moved_onto_another_kid_does_not_open():
    ring = signing_keyring()
    record = StoredSigningKey.objects.get(kid=ring.current.kid)
    record.kid = "0123456789abcdef"
    with pytest.raises(KeyRingError, match="does not open"):
        SigningKey.from_record(record)


@pytest.mark.django_db
def test_import_takes_a_pem_folder_and_tokens_it_signed_stay_valid(tmp_path, settings):
    folder = tmp_path / "signing"
    older = SigningKey.load(generate_signing_key_file(folder, "RS256"))
    time.sleep(0.002)  # file names carry milliseconds
    newer = SigningKey.load(generate_signing_key_file(folder, "RS256"))
    signed_before = jwt.encode({"sub": "s", "aud": "site"}, older.private_key, "RS256", headers={"kid": older.kid})

    out = io.StringIO()
    call_command("import_signing_keys", str(folder), stdout=out)
    assert f"kid={older.kid}" in out.getvalue() and f"kid={newer.kid}" in out.getvalue()
    stored = {record.kid: record for record in StoredSigningKey.objects.filter(kid__in=[older.kid, newer.kid])}
    assert stored[older.kid].retired_at == newer.created_at and stored[newer.kid].retired_at is None

    again = io.StringIO()
    call_command("import_signing_keys", str(folder), stdout=again)
    assert "imported 0 key(s)" in again.getvalue()  # run on every node: nothing twice

    ring = signing_keyring()
    assert ring.verification_key(older.kid) is not None
    assert jwt.decode(signed_before, ring.verification_key(older.kid).public_key, ["RS256"], audience="site")


@pytest.mark.django_db
def test_an_empty_ring_takes_the_configured_folder_and_then_forgets_the_files(tmp_path, settings):
    folder = tmp_path / "signing"
    key = SigningKey.load(generate_signing_key_file(folder, "ES256"))
    StoredSigningKey.objects.all().delete()
    settings.SSO = {**settings.SSO, "SIGNING_KEY_DIR": folder, "SIGNING_ALGORITHM": "ES256"}
    forget_cached_ring()
    assert signing_keyring().current.kid == key.kid
    for path in folder.glob("*.pem"):
        path.unlink()
    forget_cached_ring()
    assert signing_keyring().current.kid == key.kid  # from the database now


def test_the_import_command_refuses_a_missing_folder_and_files_that_are_not_keys(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_signing_keys", str(tmp_path / "nowhere"))
    (tmp_path / "1700000000000-0123456789abcdef.pem").write_text("not a key")
    with pytest.raises(CommandError):
        call_command("import_signing_keys", str(tmp_path))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rotation_on_another_node_is_used_here_within_seconds(client):
    before = signing_keyring().current.kid
    assert jwt.get_unverified_header(access_token())["kid"] == before
    other_node = subprocess.run(
        [sys.executable, "manage.py", "rotate_signing_key"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other_node.returncode == 0, other_node.stderr
    rotated = StoredSigningKey.objects.exclude(kid=before).get(retired_at__isnull=True).kid
    deadline = time.monotonic() + 5  # "within a few seconds"
    while jwt.get_unverified_header(access_token())["kid"] != rotated:  # no cache cleared here
        assert time.monotonic() < deadline, "this node never saw the rotation"
        time.sleep(0.1)
    kids = [key["kid"] for key in client.get(reverse("oauth:jwks")).json()["keys"]]
    assert kids == [rotated, before]  # published here too, the old key until its tokens expire


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_nodes_rotating_at_once_make_one_new_key():
    from accounts.oauth.keyring import _ROTATION_LOCK, rotate_signing_key

    signing_keyring()
    results, errors = [], []

    def rotate():
        try:
            results.append(rotate_signing_key("ES256")[0].kid)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    holder = connections.create_connection("default")  # an operator's session holding the lock
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ROTATION_LOCK])
    workers = [threading.Thread(target=rotate) for _ in range(2)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while _waiting_for_the_lock() < 2:  # both asked, both wait
        assert time.monotonic() < deadline and not errors, errors
        time.sleep(0.05)
    holder.rollback()  # the lock goes; the two rotations run one after the other
    holder.close()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 2
    assert StoredSigningKey.objects.filter(algorithm="ES256").count() == 1


def _waiting_for_the_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]
