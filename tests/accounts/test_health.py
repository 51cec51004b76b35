"""/healthz and /readyz: cheap, never cached, nothing personal; ready only with the database
and the signing keys; Redis reported, not required."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import StoredSigningKey
from accounts.oauth.keyring import forget_cached_ring
from tests.support.http_peer import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_looking_at_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.redis
def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "signing_keys": "ok", "redis": "ok"},
    }
    assert "no-store" in response["Cache-Control"]
    assert client.post("/readyz").status_code == 405


def test_without_signing_keys_the_node_is_not_ready(client, settings, tmp_path):
    settings.SSO = {**settings.SSO, "SIGNING_KEY_DIR": tmp_path}  # nothing to import either
    StoredSigningKey.objects.all().delete()
    forget_cached_ring()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["signing_keys"] == "unavailable"
    assert "no-store" in response["Cache-Control"]


def test_a_node_with_the_wrong_key_encryption_key_is_not_ready(client, settings):
    from accounts.oauth.keyring import signing_keyring

    signing_keyring()  # the ring is stored, sealed under the deployment's key
    settings.SIGNING_KEY_ENCRYPTION_KEY = "not this deployment's key"
    forget_cached_ring()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["signing_keys"] == "unavailable"


def test_a_node_that_cannot_open_its_keys_answers_503_not_a_traceback(client, settings):
    """Where the node would publish, sign or verify with keys it cannot open, it answers what
    /readyz says (try another node), in each endpoint's own shape, and writes nothing."""
    from accounts.oauth.keyring import signing_keyring
    from accounts.oauth.tokens import IDToken, SSOAccessToken

    signing_keyring()
    bearer = str(SSOAccessToken(audience="site").set_claims(sub="s", client_id="site", scope="openid", sid="x"))
    id_token = str(IDToken(audience="site").set_claims(sub="s", sid="x"))
    settings.SIGNING_KEY_ENCRYPTION_KEY = "not this deployment's key"
    forget_cached_ring()
    stored = list(StoredSigningKey.objects.values_list("kid", "retired_at"))

    keys = client.get(reverse("oauth:jwks"))
    userinfo = client.get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {bearer}")
    page = client.get(reverse("oauth:end_session"), {"id_token_hint": id_token})
    for machine in (keys, userinfo):
        assert machine.status_code == 503 and machine["Retry-After"] == "5"
        assert machine.json()["error"] == "temporarily_unavailable" and machine["Cache-Control"] == "no-store"
    assert page.status_code == 503 and "Temporarily unavailable" in page.content.decode()
    assert list(StoredSigningKey.objects.values_list("kid", "retired_at")) == stored  # no new key made over them


@pytest.mark.redis
def test_redis_down_is_reported_as_degraded_and_the_node_stays_ready(client, monkeypatch):
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    # This process's Redis moved to a closed port (a real refused connection). Only the backend
    # object is patched: changing settings.CACHES would leave django-axes holding a stale cache.
    monkeypatch.setattr(caches["default"], "primary", RedisCache(f"redis://127.0.0.1:{free_port()}/0", {}))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "degraded"


def test_the_probes_are_reached_over_plain_http_in_production(settings, client):
    settings.SECURE_SSL_REDIRECT = True  # as in production: the load balancer probes the node directly
    assert client.get(reverse("healthz")).status_code == 200
