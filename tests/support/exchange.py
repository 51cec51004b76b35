from __future__ import annotations

import pytest
from django.test import Client

from accounts.oauth.registry import SiteRegistration, register_site
from tests.support.oauth import SECRET, Pkce, exchange_code, obtain_code, token_request

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
DEVICE_SECRET = "urn:openid:params:token-type:device-secret"
ISSUER = "http://localhost:8000"


def native_app(client_id: str, vendor: str = "acme", first_party: bool = True, native_sso: bool = True, **extra):
    site, _ = register_site(
        SiteRegistration(
            client_id=client_id,
            name=client_id.title(),
            redirect_uris=[f"http://127.0.0.1:7000/{client_id}/cb"],
            client_secret=SECRET,
            vendor_group=vendor,
            native_sso=native_sso,
            first_party=first_party,
            **extra,
        )
    )
    return site


def exchange(client_id: str, **params):
    return token_request(Client(), {"grant_type": TOKEN_EXCHANGE, **params}, client_id=client_id)


@pytest.fixture
def first_app_tokens(db, browser):
    """App 1 signs in with openid device_sso and gets a device secret and an ID token with ds_hash."""
    app = native_app("acme-mail")
    pkce = Pkce.new()
    response = exchange_code(Client(), app, obtain_code(browser, app, pkce, scope="openid profile device_sso"), pkce)
    assert response.status_code == 200, response.content
    return response.json()


def native_sso_params(tokens: dict, **overrides) -> dict:
    params = {
        "subject_token": tokens["id_token"],
        "subject_token_type": ID_TOKEN,
        "actor_token": tokens["device_secret"],
        "actor_token_type": DEVICE_SECRET,
        "audience": ISSUER,
        "scope": "openid profile",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}
