"""Partner-site registry: register_site, hashed secrets, CORS allow-list."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import PartnerSite
from accounts.oauth.registry import allowed_cors_origins

pytestmark = pytest.mark.django_db


def register(capsys, *args) -> dict:
    call_command("register_site", *args)
    return json.loads(capsys.readouterr().out)


def test_register_site_prints_a_generated_secret_once_and_stores_only_its_hash(capsys):
    out = register(capsys, "--client-id", "shop", "--name", "Shop", "--redirect-uri", "https://shop.example/cb")
    assert set(out) == {"client_id", "client_secret"} and len(out["client_secret"]) >= 40
    site = PartnerSite.objects.get(client_id="shop")
    assert out["client_secret"] not in site.client_secret_hash
    assert site.check_client_secret(out["client_secret"]) and not site.check_client_secret("guess")

    again = register(capsys, "--client-id", "shop", "--name", "Shop 2", "--redirect-uri", "https://shop.example/cb2")
    assert again == {"client_id": "shop"}  # an update keeps the secret and does not print it
    site.refresh_from_db()
    assert (site.name, site.redirect_uris) == ("Shop 2", ["https://shop.example/cb2"])
    assert site.check_client_secret(out["client_secret"])


def test_register_site_with_every_option(capsys):
    out = register(
        capsys,
        "--client-id",
        "languages",
        "--name",
        "Languages",
        "--redirect-uri",
        "http://127.0.0.2:8002/cb",
        "--redirect-uri",
        "http://127.0.0.2:8002/cb2",
        "--post-logout-redirect-uri",
        "http://127.0.0.2:8002/",
        "--backchannel-logout-uri",
        "http://127.0.0.2:8002/bcl",
        "--subject-type",
        "pairwise",
        "--first-party",
        "--scope",
        "openid",
        "--scope",
        "email",
        "--exchange-client",
        "shop",
        "--delegation-actor",
        "shop",
        "--legacy-client-id",
        "old-languages",
    )
    assert set(out) == {"client_id", "client_secret"}
    site = PartnerSite.objects.get(client_id="languages")
    assert site.check_client_secret(out["client_secret"])
    assert (site.exchange_clients, site.delegation_actors, site.legacy_client_ids) == (
        ["shop"],
        ["shop"],
        ["old-languages"],
    )
    assert site.subject_type == "pairwise" and site.first_party
    assert site.allowed_scopes == ["email", "openid"]
    assert site.allowed_cors_origins == ["http://127.0.0.2:8002"]
    assert "http://127.0.0.2:8002" in allowed_cors_origins()


def test_public_client_has_no_secret(capsys):
    out = register(
        capsys, "--client-id", "app", "--name", "App", "--redirect-uri", "http://127.0.0.1:9000/cb", "--public"
    )
    assert out == {"client_id": "app"}
    assert PartnerSite.objects.get(client_id="app").client_secret_hash == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--redirect-uri", "javascript:alert(1)"], "must be an absolute http(s) URI"),
        (["--redirect-uri", "http://shop.example/cb"], "must use https"),
        (["--redirect-uri", "https://shop.example/cb#frag"], "without a fragment"),
        (["--redirect-uri", "https://shop.example/cb", "--scope", "admin"], "unknown scope(s): admin"),
        (
            ["--redirect-uri", "https://shop.example/cb", "--public", "--new-client-secret"],
            "a public client has no secret",
        ),
    ],
)
def test_bad_registrations_are_refused_and_write_nothing(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("register_site", "--client-id", "bad", "--name", "Bad", *args)
    assert not PartnerSite.objects.filter(client_id="bad").exists()


def test_cors_headers_only_for_registered_origins(client, site):
    ok = client.get("/.well-known/jwks.json", HTTP_ORIGIN="http://127.0.0.1:8001")
    assert ok["Access-Control-Allow-Origin"] == "http://127.0.0.1:8001"
    other = client.get("/.well-known/jwks.json", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_a_chosen_client_secret_cannot_be_given_on_the_command_line(capsys):
    """The attack: `register_site --client-secret a` gave a site a secret anyone could guess."""
    with pytest.raises(CommandError, match="unrecognized arguments: --client-secret"):
        call_command(
            "register_site",
            "--client-id",
            "shop",
            "--name",
            "Shop",
            "--redirect-uri",
            "https://shop.example/cb",
            "--client-secret",
            "a",
        )
    assert not PartnerSite.objects.exists()


@pytest.mark.parametrize(
    "secret",
    [
        "a",
        "password123",
        "x" * 64,
        "abc" * 20,
        "0123456789abcdef" * 4,
        "has spaces and is long enough to pass the length check alone",
    ],
)
def test_a_weak_secret_from_code_is_refused(secret):
    from django.core.exceptions import ValidationError

    from accounts.oauth.registry import SiteRegistration, register_site

    with pytest.raises(ValidationError, match="256 bits"):
        register_site(
            SiteRegistration(
                client_id="shop", name="Shop", redirect_uris=["https://shop.example/cb"], client_secret=secret
            )
        )
    assert not PartnerSite.objects.exists()


def test_a_new_secret_replaces_the_old_one(capsys):
    first = register(capsys, "--client-id", "shop", "--name", "Shop", "--redirect-uri", "https://shop.example/cb")
    second = register(
        capsys,
        "--client-id",
        "shop",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example/cb",
        "--new-client-secret",
    )
    site = PartnerSite.objects.get(client_id="shop")
    assert second["client_secret"] != first["client_secret"]
    assert site.check_client_secret(second["client_secret"]) and not site.check_client_secret(first["client_secret"])
