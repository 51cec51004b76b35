"""Configuration from the environment: keys, production start-up, deploy checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from sso_project.env import ConfigError, database_from_url

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PII_", "BLIND_", "SSO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def development_keys(tmp_path_factory) -> Path:
    """The keys a development start-up generates, made once for the module, not by a start-up in each test."""
    folder = tmp_path_factory.mktemp("development-keys")
    dev = manage(
        "check",
        env={"SSO_KEY_DIR": str(folder), "DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3"},
    )
    assert dev.returncode == 0, dev.stderr
    return folder


@pytest.fixture
def production_keys(development_keys, tmp_path) -> dict[str, str]:
    """A complete production environment, keys in an empty folder of its own."""
    shutil.copytree(development_keys, tmp_path, dirs_exist_ok=True)
    signing = tmp_path / "signing"
    return {
        "DJANGO_DEBUG": "false",
        "SSO_KEY_DIR": str(tmp_path / "nothing-here"),
        "DJANGO_SECRET_KEY": (tmp_path / "django-secret-key").read_text().strip(),
        "PII_KEY": (tmp_path / "pii.key").read_text().strip(),
        "BLIND_INDEX_KEY": (tmp_path / "blind-index.key").read_text().strip(),
        "PAIRWISE_SUBJECT_KEY": (tmp_path / "pairwise-subject.key").read_text().strip(),
        "SIGNING_KEY_ENCRYPTION_KEY": (tmp_path / "signing-key-encryption.key").read_text().strip(),
        "SSO_SIGNING_KEY_DIR": str(signing),
        "SSO_ISSUER": "https://id.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EMAIL_URL": "smtp://mailer:secret@mail.example.com:587?tls=1",
        "EMAIL_FROM": "Tessera <no-reply@example.com>",
    }


def test_development_generates_missing_keys_once_with_private_permissions(tmp_path):
    env = {"SSO_KEY_DIR": str(tmp_path), "DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    assert manage("check", env=env).returncode == 0
    files = {p.name: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and "sqlite" not in p.name}
    assert {
        "django-secret-key",
        "pii.key",
        "blind-index.key",
        "pairwise-subject.key",
        "signing-key-encryption.key",
    } <= (files.keys())
    assert len(list((tmp_path / "signing").glob("*.pem"))) == 1
    assert all(
        oct(p.stat().st_mode)[-3:] == "600" for p in tmp_path.rglob("*") if p.is_file() and "sqlite" not in p.name
    )
    assert manage("check", env=env).returncode == 0
    assert {p.name: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and "sqlite" not in p.name} == files
    assert (
        len({files[name] for name in ("pii.key", "blind-index.key", "django-secret-key", "signing-key-encryption.key")})
        == 4
    )


@pytest.mark.parametrize(
    "missing",
    [
        "PII_KEY",
        "BLIND_INDEX_KEY",
        "PAIRWISE_SUBJECT_KEY",
        "DJANGO_SECRET_KEY",
        "SIGNING_KEY_ENCRYPTION_KEY",
        "SSO_SIGNING_KEY_DIR",
    ],
)
def test_production_refuses_to_start_without_a_key_in_one_line(production_keys, missing, tmp_path):
    env = dict(production_keys)
    if missing == "SSO_SIGNING_KEY_DIR":
        env[missing] = str(tmp_path / "empty-signing")
    else:
        del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "configuration error: no JWT signing key"
        if missing == "SSO_SIGNING_KEY_DIR"
        else "configuration error: missing key"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "nothing-here").exists()  # production never generates keys


@pytest.mark.parametrize("missing", ["EMAIL_URL", "EMAIL_FROM"])
def test_production_refuses_to_start_without_a_mail_server_in_one_line(production_keys, missing):
    env = {k: v for k, v in production_keys.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "configuration error: EMAIL_URL and EMAIL_FROM are required (the mail server and the sender address)"
    ]


def test_the_demo_mailbox_is_refused_in_production(production_keys, tmp_path):
    result = manage("check", env={**production_keys, "EMAIL_URL": f"demo://{tmp_path}/mail"})
    assert result.returncode != 0 and "development only" in result.stderr and "Traceback" not in result.stderr


def test_check_deploy_under_production_settings_reports_nothing(production_keys):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_keys)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_needs_no_signing_key_folder_since_the_ring_is_in_the_database(production_keys):
    env = {name: value for name, value in production_keys.items() if name != "SSO_SIGNING_KEY_DIR"}
    code = "from django.conf import settings as s; print(s.SSO['SIGNING_KEY_DIR'])"
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"


def test_production_cookies_use_host_prefix_and_secure(production_keys):
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    result = manage("shell", "-c", code, env=production_keys)
    assert result.stdout.strip().splitlines()[-1].split() == ["__Host-sessionid", "__Host-csrftoken", "True", "True"]


@pytest.mark.django_db
def test_createsuperuser_noinput_with_password_from_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "super secret passphrase 1")
    call_command("createsuperuser", "--noinput", "--email", "Root@Example.org", verbosity=0)
    admin = User.objects.get_by_email("root@example.org")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("super secret passphrase 1")


def test_database_url_parsing():
    pg = database_from_url("postgres://u:p%40ss@db.internal:5433/sso?sslmode=require", ROOT)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "sso",
        "u",
        "p@ss",
        "db.internal",
        "5433",
    )
    assert pg["OPTIONS"] == {
        "sslmode": "require",
        "server_side_binding": True,
        "prepare_threshold": 2,
        "connect_timeout": 3,
        "tcp_user_timeout": 10_000,
    }
    pooled = database_from_url(
        "postgres://u@db/sso?server_side_binding=false&prepare_threshold=None&connect_timeout=10", ROOT
    )
    assert pooled["OPTIONS"] == {
        "server_side_binding": False,
        "prepare_threshold": None,
        "connect_timeout": 10,
        "tcp_user_timeout": 10_000,
    }
    assert database_from_url("postgres://u@db/sso?prepare_threshold=5", ROOT)["OPTIONS"]["prepare_threshold"] == 5
    assert database_from_url("sqlite:///db.sqlite3", ROOT)["NAME"] == ROOT / "db.sqlite3"
    assert database_from_url("sqlite:////tmp/x.sqlite3", ROOT)["NAME"] == Path("/tmp/x.sqlite3")
    with pytest.raises(ConfigError):
        database_from_url("mysql://x/y", ROOT)


PROBE_UNKNOWN_HOST = """
from django.test import Client
response = Client().get("/login/", HTTP_HOST="unknown.example")
print("STATUS", response.status_code)
print(response.content.decode())
"""


def test_production_is_the_default_so_an_unknown_host_shows_no_debug_page(production_keys):
    """The attack: with DJANGO_DEBUG unset, an unknown Host got Django's debug page, which prints
    DATABASE_URL and REDIS_URL with their passwords."""
    env = {k: v for k, v in production_keys.items() if k != "DJANGO_DEBUG"}
    env["REDIS_URL"] = "redis://:redis-password-123@127.0.0.1:9/0"  # nothing listens: the page must not care
    result = manage("shell", "-c", PROBE_UNKNOWN_HOST, env=env)
    out = result.stdout
    assert "STATUS 400" in out, result.stderr
    assert "redis-password-123" not in out and "Traceback" not in out and "DisallowedHost" not in out
    assert "settings" not in out.lower() and "Bad request" in out


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("LOGIN_FAILURE_LIMIT", "five", "LOGIN_FAILURE_LIMIT must be a whole number, not 'five'"),
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT must be at least 1"),
        ("REDIS_TIMEOUT_SECONDS", "soon", "REDIS_TIMEOUT_SECONDS must be a number"),
        ("SSO_ACCESS_TOKEN_SECONDS", "-5", "SSO_ACCESS_TOKEN_SECONDS must be at least 1"),
        ("DJANGO_BEHIND_TLS_PROXY", "maybe", "DJANGO_BEHIND_TLS_PROXY must be true or false"),
        ("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,10.0.0.0/33", "METRICS_ALLOWED_NETWORKS must list networks"),
        ("SSO_LOG_FORMAT", "xml", "SSO_LOG_FORMAT must be json or plain"),
    ],
)
def test_a_malformed_number_or_boolean_is_a_one_line_configuration_error(production_keys, name, value, message):
    result = manage("check", env={**production_keys, name: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [f"configuration error: {lines[0].removeprefix('configuration error: ')}"]
    assert message in lines[0] and "Traceback" not in result.stderr


def test_the_demos_development_mode_shows_the_products_own_error_pages(tmp_path):
    """The attack on the demo: a 404 showed Django's debug page listing every URL pattern."""
    probe = (
        'from django.test import Client\nr = Client().get("/no-such-page/")\n'
        'print("STATUS", r.status_code)\nprint(r.content.decode())'
    )
    env = {
        "SSO_KEY_DIR": str(tmp_path),
        "DJANGO_DEBUG": "true",
        "DJANGO_DEBUG_PAGES": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    out = manage("shell", "-c", probe, env=env).stdout
    assert "STATUS 404" in out and "There is no page at this address." in out
    assert "URLconf" not in out and "oauth/" not in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ACCESS_TOKEN_LIFETIM": 1}, "unknown ['ACCESS_TOKEN_LIFETIM'], missing ['ACCESS_TOKEN_LIFETIME']"),
        ({"ACCESS_TOKEN_LIFETIME": 300}, "ACCESS_TOKEN_LIFETIME"),
        ({"SIGNING_ALGORITHM": "HS256"}, "SIGNING_ALGORITHM"),
        ({"ISSUER": "https://idp.example/"}, "ISSUER"),
        ({"NETWORK_ID_IPV4_PREFIX": 33}, "NETWORK_ID_IPV4_PREFIX"),
    ],
    ids=["misspelt", "not a duration", "algorithm", "trailing slash", "prefix"],
)
def test_a_wrong_sso_setting_is_refused_by_name(settings, change, message):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.conf import SSOSettings

    raw = dict(settings.SSO)
    if "ACCESS_TOKEN_LIFETIM" in change:
        raw.pop("ACCESS_TOKEN_LIFETIME")
    raw.update(change)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        SSOSettings.parse(raw)


def test_the_sso_settings_are_frozen_and_follow_a_change(settings):
    import dataclasses

    from accounts.conf import sso_settings

    with pytest.raises(dataclasses.FrozenInstanceError):
        sso_settings().issuer = "https://elsewhere.example"
    settings.SSO = {**settings.SSO, "ISSUER": "https://idp.example"}
    assert sso_settings().issuer == "https://idp.example"


LOG_A_LINE = "import logging; logging.getLogger('accounts.probe').warning('probe %s', 42)"


def test_production_logs_json_lines_and_plain_on_request(production_keys):
    produced = manage("shell", "-c", LOG_A_LINE, env=production_keys)
    line = json.loads(produced.stderr.strip().splitlines()[-1])
    assert line["message"] == "probe 42" and line["level"] == "WARNING" and line["logger"] == "accounts.probe"
    plain = manage("shell", "-c", LOG_A_LINE, env={**production_keys, "SSO_LOG_FORMAT": "plain"})
    assert plain.stderr.strip().splitlines()[-1].endswith("WARNING accounts.probe [-] probe 42")
