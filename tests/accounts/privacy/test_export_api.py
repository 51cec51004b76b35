"""The same copy through the REST API, for the user's own token with the account_data scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from tests.support.oauth import access_token_for, another_site

pytestmark = pytest.mark.django_db
MY_DATA = reverse("api:my-data")


def token_for(browser, scope: str) -> str:
    return access_token_for(browser, another_site("exporter", scopes=["openid", "email", "account_data"]), scope)


def test_a_token_with_the_scope_gets_the_users_data(browser, user):
    response = Client().get(MY_DATA, HTTP_AUTHORIZATION=f"Bearer {token_for(browser, 'openid account_data')}")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["profile"]["email"] == user.email
    event = AuditEvent.objects.get(event_type="data_exported", user=user)
    assert (event.client_id, event.detail["shown_as"]) == ("exporter", "api")


def test_a_token_without_the_scope_or_no_token_is_refused(browser, user):
    narrow = Client().get(MY_DATA, HTTP_AUTHORIZATION=f"Bearer {token_for(browser, 'openid email')}")
    assert narrow.status_code == 403 and 'error="insufficient_scope"' in narrow["WWW-Authenticate"]
    assert Client().get(MY_DATA).status_code == 401
    assert not AuditEvent.objects.filter(event_type="data_exported").exists()


def test_the_scope_is_never_a_default_and_the_endpoint_is_in_the_schema(site, client):
    assert "account_data" not in site.allowed_scopes
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/me/data" in schema
