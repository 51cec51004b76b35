"""Profile 1: migrating sessions from a legacy identity provider (a real HTTP server on loopback)."""

from __future__ import annotations

import json
import threading

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from accounts.models import AuditEvent, SSOSession, User
from accounts.oauth.registry import SiteRegistration, register_site
from accounts.oauth.sector_sid import internal_sid
from tests.support.exchange import REFRESH_TOKEN, exchange
from tests.support.http_peer import LegacyProvider, free_port
from tests.support.oauth import SECRET
from tokenexchange.models import ConsumedLegacyToken, LegacyAccountLink

LEGACY_TOKEN = "legacy-refresh-token-for-ada-0123456789"


@pytest.fixture
def legacy(settings):
    provider = LegacyProvider(free_port()).start()
    settings.LEGACY_IDP = {
        "ISSUER": provider.issuer,
        "INTROSPECTION_URL": provider.url("/introspect"),
        "CLIENT_ID": provider.client_id,
        "CLIENT_SECRET": provider.client_secret,
        "REVOCATION_URL": provider.url("/revoke"),
        "TIMEOUT_SECONDS": 1.0,
    }
    provider.add_refresh_token(LEGACY_TOKEN, sub="legacy-42")
    yield provider
    provider.stop()


@pytest.fixture
def app(db):
    site, _ = register_site(
        SiteRegistration(
            client_id="old-app",
            name="Old App",
            client_secret=SECRET,
            redirect_uris=["http://127.0.0.1:7100/cb"],
            legacy_client_ids=["old-app"],
        )
    )
    return site


@pytest.fixture
def linked(db, tmp_path, user):
    path = tmp_path / "accounts.jsonl"
    path.write_text(json.dumps({"legacy_sub": "legacy-42", "email": "ADA@example.org", "name": "Ada"}) + "\n")
    call_command("import_legacy_accounts", str(path))
    return user


def migrate(**overrides):
    params = {"subject_token": LEGACY_TOKEN, "subject_token_type": REFRESH_TOKEN, "scope": "openid email"}
    params.update(overrides)
    return exchange("old-app", **{k: v for k, v in params.items() if v is not None})


@pytest.mark.django_db(transaction=True)
def test_a_legacy_refresh_token_becomes_a_new_session_without_a_password(legacy, app, linked):
    response = migrate()
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert {"access_token", "refresh_token", "id_token"} <= set(body) and "scope" not in body
    id_token = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert id_token["sub"] == str(linked.pk) and id_token["email"] == "ada@example.org"
    assert SSOSession.objects.filter(user=linked, sid=internal_sid(id_token["sid"], app)).exists()
    assert legacy.revoked == [LEGACY_TOKEN]  # revoked at the old provider after our commit
    stored = ConsumedLegacyToken.objects.get()
    assert LEGACY_TOKEN not in stored.token_hash
    assert AuditEvent.objects.filter(detail__grant="token-exchange:legacy_migration").exists()


@pytest.mark.django_db(transaction=True)
def test_replaying_the_legacy_token_is_refused(legacy, app, linked):
    legacy.revoked.clear()
    assert migrate().status_code == 200
    legacy.revoked.clear()  # even if the old provider had not revoked it
    replay = migrate()
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_request"
    assert "already exchanged" in replay.json()["error_description"]
    assert SSOSession.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token_claims, description",
    [
        ({"active": False}, "inactive"),
        ({"token_type": "access_token"}, "not a refresh token"),
        ({"iss": "https://someone-else.example"}, "another provider"),
        ({"exp": 1}, "expired"),
    ],
)
def test_tokens_the_legacy_provider_does_not_vouch_for(legacy, app, linked, token_claims, description):
    legacy.add_refresh_token("odd-token", sub="legacy-42", **token_claims)
    response = migrate(subject_token="odd-token")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert description in response.json()["error_description"]
    assert not ConsumedLegacyToken.objects.exists() and not SSOSession.objects.exists()


@pytest.mark.django_db
def test_unknown_and_unlinked_tokens(legacy, app, linked):
    unknown = migrate(subject_token="never-issued")
    assert unknown.json()["error"] == "invalid_request" and "inactive or unknown" in unknown.json()["error_description"]
    legacy.add_refresh_token("orphan", sub="legacy-999")
    unlinked = migrate(subject_token="orphan")
    assert unlinked.json()["error"] == "invalid_request" and "not linked" in unlinked.json()["error_description"]


@pytest.mark.django_db
def test_unreachable_legacy_provider_is_temporarily_unavailable_and_records_nothing(legacy, app, linked):
    legacy.stop()
    response = migrate()
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert response["Cache-Control"] == "no-store"
    assert not ConsumedLegacyToken.objects.exists() and not SSOSession.objects.exists()


@pytest.mark.django_db
def test_a_legacy_provider_answering_with_a_redirect_is_not_followed(legacy, app, linked):
    elsewhere = LegacyProvider(free_port()).start()
    try:
        legacy.redirect_to = elsewhere.url("/introspect")
        response = migrate()
        assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
        assert legacy.hits == 1 and elsewhere.hits == 0
        assert not ConsumedLegacyToken.objects.exists() and not SSOSession.objects.exists()
    finally:
        elsewhere.stop()


@pytest.mark.django_db
def test_slow_legacy_provider_times_out(legacy, app, linked):
    legacy.delay_seconds = 2.5  # beyond the 1 s timeout configured above
    response = migrate()
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert not ConsumedLegacyToken.objects.exists()


@pytest.mark.django_db
def test_scope_and_target_rules(legacy, app, linked):
    assert migrate(scope="openid admin").json()["error"] == "invalid_scope"
    assert migrate(audience="https://elsewhere.example").json()["error"] == "invalid_target"
    assert legacy.introspections == 0  # refused before asking the legacy provider


@pytest.mark.django_db
def test_a_legacy_token_of_another_client_is_not_migrated_by_this_one(legacy, app, linked):
    """The attack: a legacy token issued to another client became tokens for the caller."""
    legacy.add_refresh_token("someone-elses", sub="legacy-42", client_id="legacy-payroll")
    refused = migrate(subject_token="someone-elses")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert "does not succeed" in refused.json()["error_description"]
    assert not ConsumedLegacyToken.objects.exists() and not SSOSession.objects.exists()


@pytest.mark.django_db
def test_the_migrated_scope_stays_within_the_legacy_tokens(legacy, app, linked):
    """The attack: a legacy token with scope=openid became openid profile email."""
    legacy.add_refresh_token("narrow", sub="legacy-42", scope="openid")
    widened = migrate(subject_token="narrow", scope="openid profile email")
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_scope"
    assert not ConsumedLegacyToken.objects.exists()
    body = migrate(subject_token="narrow", scope=None).json()  # RFC 6749 6: omitted means the original scope
    assert body["scope"] == "openid"
    id_token = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert "email" not in id_token and "name" not in id_token


@pytest.mark.django_db
def test_a_legacy_token_without_a_stated_scope_is_refused(legacy, app, linked):
    legacy.add_refresh_token("unscoped", sub="legacy-42", scope=None)
    refused = migrate(subject_token="unscoped", scope=None)
    assert refused.json()["error"] == "invalid_request" and "scope" in refused.json()["error_description"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_exchanges_of_one_token_yield_exactly_one_success(legacy, app, linked):
    results, barrier = [], threading.Barrier(10)

    def attempt():
        try:
            barrier.wait(timeout=10)
            response = migrate()
            results.append((response.status_code, response.json().get("error")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [(200, None)] + [(400, "invalid_request")] * 9
    assert ConsumedLegacyToken.objects.count() == 1 and SSOSession.objects.count() == 1


# --- import_legacy_accounts --------------------------------------------------------------


@pytest.mark.django_db
def test_import_is_idempotent_encrypts_pii_and_matches_by_blind_index(tmp_path, user, capsys):
    path = tmp_path / "accounts.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"legacy_sub": "a-1", "email": " Ada@Example.org ", "name": "Ada"},
                {"legacy_sub": "b-2", "email": "bob@example.org", "name": "Bob Builder"},
            ]
        )
        + "\n"
    )
    call_command("import_legacy_accounts", str(path))
    assert "2 accounts: 1 users created, 1 matched, 2 links created, 0 unchanged" in capsys.readouterr().out
    call_command("import_legacy_accounts", str(path))
    assert "2 accounts: 0 users created, 2 matched, 0 links created, 2 unchanged" in capsys.readouterr().out
    bob = User.objects.get_by_email("BOB@example.org")
    assert bob.name == "Bob Builder" and not bob.has_usable_password()
    assert all("a-1" not in link.legacy_sub_index for link in LegacyAccountLink.objects.all())
    call_command("audit_pii")


@pytest.mark.django_db
def test_a_bad_file_imports_nothing_and_names_its_lines(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"legacy_sub": "ok-1", "email": "fine@example.org", "name": "Fine"}),
                "{not json",
                json.dumps({"legacy_sub": "x-3", "email": "not-an-email"}),
                json.dumps({"email": "nosub@example.org"}),
                json.dumps({"legacy_sub": "ok-1", "email": "dup@example.org"}),
                json.dumps({"legacy_sub": "x-6", "email": "ctrl@example.org", "name": "Bad\u202eName"}),
            ]
        )
        + "\n"
    )
    with pytest.raises(CommandError, match="5 bad line"):
        call_command("import_legacy_accounts", str(path))
    err = capsys.readouterr().err
    for line in ("line 2:", "line 3:", "line 4:", "line 5:", "line 6:"):
        assert line in err
    assert "not-an-email" not in err and "nosub@example.org" not in err  # no PII in messages
    assert not User.objects.exists() and not LegacyAccountLink.objects.exists()


@pytest.mark.django_db
def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_legacy_accounts", "/nonexistent/file.jsonl")
