"""schemathesis against the drf-spectacular schema (the REST API and the token
endpoint): no 5xx, status codes, content types and bodies as documented.

Not checked: that schema-valid input is accepted. A form with a random
grant_type is schema-valid and correctly refused with 400; OAuth validity is
more than a schema can say."""

from __future__ import annotations

import base64

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sso_project.wsgi import application
from tests.support.oauth import SECRET, Pkce, access_token_for, another_site, exchange_code, obtain_code

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def credentials(site, browser):
    """Valid credentials per endpoint, so the fuzzed inputs reach the code behind authentication."""
    pkce = Pkce.new()
    tokens = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
    basic = base64.b64encode(f"{site.client_id}:{SECRET}".encode()).decode()
    exporter = another_site("exporter", scopes=["openid", "account_data"])
    data_token = access_token_for(browser, exporter, "openid account_data")
    return {
        "/api/v1/me": {"Authorization": f"Bearer {tokens['access_token']}"},
        "/api/v1/me/data": {"Authorization": f"Bearer {data_token}"},
        **dict.fromkeys(("/oauth/token/", "/oauth/revoke/", "/oauth/introspect/"), {"Authorization": f"Basic {basic}"}),
    }


@pytest.mark.django_db(transaction=True)  # the WSGI app closes connections at request end, as in production
@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rest_api_conforms_to_its_schema(case, credentials):  # the credentials stay valid across examples
    case.call_and_validate(
        headers=credentials[case.path],
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
