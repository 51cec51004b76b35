"""amr and acr in the ID token, acr_values and max_age triggering step-up, and sites
registered as requiring a second factor."""

from __future__ import annotations

import json

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.factors.assurance import ACR_MFA, ACR_PASSWORD, acr_for, satisfies, with_second_factor
from accounts.models import SSOSession
from accounts.oauth.discovery import provider_metadata
from tests.accounts.factors.conftest import code_now, sign_in_with_password
from tests.support.oauth import REDIRECT, Pkce, authorize_params, exchange_code, query_of

pytestmark = pytest.mark.django_db
AUTHORIZE, STEP = reverse("oauth:authorize"), reverse("accounts:second_factor")


def id_token_claims(client, site, code, pkce) -> dict:
    tokens = exchange_code(Client(), site, code, pkce).json()
    return jwt.decode(tokens["id_token"], options={"verify_signature": False})


def test_the_classes_and_what_satisfies_them():
    assert with_second_factor(["pwd"], "otp") == ["pwd", "otp", "mfa"]
    assert acr_for(["pwd"]) == ACR_PASSWORD and acr_for(["pwd", "otp", "mfa"]) == ACR_MFA
    assert satisfies(["pwd", "otp", "mfa"], [ACR_PASSWORD]) and not satisfies(["pwd"], [ACR_MFA])
    assert not satisfies(["pwd"], ["urn:unknown"])
    metadata = provider_metadata()
    assert metadata["acr_values_supported"] == [ACR_PASSWORD, ACR_MFA]
    assert {"acr", "amr"} <= set(metadata["claims_supported"])


def test_a_password_sign_in_says_pwd_and_password(site, user, password):
    client, pkce = Client(), Pkce.new()
    sign_in_with_password(client, user, password)
    params = authorize_params(site, pkce)
    response = client.get(AUTHORIZE, params)
    if response.status_code == 200:
        response = client.post(AUTHORIZE, {**params, "decision": "allow"})
    claims = id_token_claims(client, site, query_of(response["Location"])["code"], pkce)
    assert (claims["amr"], claims["acr"]) == (["pwd"], ACR_PASSWORD)


def signed_in_with_both_factors(site, user, password, clock) -> Client:
    """A browser signed in with the password and the app, at a first-party ``site`` (no consent page)."""
    site.first_party = True
    site.save()
    client = Client()
    sign_in_with_password(client, user, password)
    client.post(STEP, {"code": code_now(user, clock)})
    clock.advance(30)
    return client


def test_acr_values_for_mfa_step_up_a_password_session_before_any_code(site, app_user, password, clock):
    client, pkce = signed_in_with_both_factors(site, app_user, password, clock), Pkce.new()
    # A session signed in with the password alone (as before the app was set up).
    SSOSession.objects.filter(user=app_user).update(auth_methods="pwd")
    params = authorize_params(site, pkce, acr_values=ACR_MFA)
    asked = client.get(AUTHORIZE, params)
    assert asked.status_code == 302 and asked["Location"] == STEP  # no code before the second factor
    silent = client.get(AUTHORIZE, {**params, "prompt": "none"})
    assert query_of(silent["Location"])["error"] == "interaction_required"

    back = client.post(STEP, {"code": code_now(app_user, clock)})
    assert back["Location"].startswith(AUTHORIZE)
    coded = client.get(back["Location"])
    claims = id_token_claims(client, site, query_of(coded["Location"])["code"], pkce)
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp", "mfa"], ACR_MFA)


def test_max_age_asks_for_both_factors_again(site, app_user, password, clock):
    client, pkce = signed_in_with_both_factors(site, app_user, password, clock), Pkce.new()
    fresh = client.get(AUTHORIZE, authorize_params(site, pkce, max_age="0"))
    assert fresh["Location"].startswith(reverse("accounts:login"))
    login = client.post(fresh["Location"], {"email": app_user.email, "password": password})
    assert login["Location"] == STEP
    back = client.post(STEP, {"code": code_now(app_user, clock)})
    coded = client.get(back["Location"])
    assert "code" in query_of(coded["Location"])


def test_acr_values_are_a_wish_for_a_user_without_a_second_factor(site, user, password):
    site.first_party = True
    site.save()
    client, pkce = Client(), Pkce.new()
    sign_in_with_password(client, user, password)
    response = client.get(AUTHORIZE, authorize_params(site, pkce, acr_values=ACR_MFA))
    claims = id_token_claims(client, site, query_of(response["Location"])["code"], pkce)
    assert claims["acr"] == ACR_PASSWORD  # the token says what happened


def test_a_site_requiring_a_second_factor_guides_the_user_to_set_one_up(user, password, capsys):
    from django.core.management import call_command

    call_command(
        "register_site",
        *("--client-id", "bank", "--name", "Bank", "--redirect-uri", REDIRECT, "--first-party", "--require-mfa"),
    )
    from accounts.models import PartnerSite

    site = PartnerSite.objects.get(client_id="bank")
    client, pkce = Client(), Pkce.new()
    sign_in_with_password(client, user, password)
    page = client.get(AUTHORIZE, authorize_params(site, pkce))
    assert page.status_code == 403 and "asks for a second step" in page.content.decode()
    assert reverse("accounts:authenticator_setup") + "?next=" in page.content.decode()


def test_malformed_acr_values_are_an_error_at_the_site(site):
    pkce = Pkce.new()
    response = Client().get(AUTHORIZE, authorize_params(site, pkce, acr_values="x" * 300))
    assert query_of(response["Location"])["error"] == "invalid_request"
    twice = Client().get(AUTHORIZE + f"?acr_values=a&acr_values=b&client_id={site.client_id}&redirect_uri={REDIRECT}")
    assert query_of(twice["Location"])["error"] == "invalid_request"


def essential(*values: str) -> str:
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def test_an_essential_acr_is_met_by_a_step_up_or_the_request_fails(site, app_user, make_user, password, clock):
    client, pkce = signed_in_with_both_factors(site, app_user, password, clock), Pkce.new()
    SSOSession.objects.filter(user=app_user).update(auth_methods="pwd")
    params = authorize_params(site, pkce, claims=essential(ACR_MFA))
    assert client.get(AUTHORIZE, params)["Location"] == STEP  # met by asking for the app
    back = client.post(STEP, {"code": code_now(app_user, clock)})
    claims = id_token_claims(client, site, query_of(client.get(back["Location"])["Location"])["code"], pkce)
    assert claims["acr"] == ACR_MFA

    without = Client()
    sign_in_with_password(without, make_user("plain@example.org"), password)  # no second factor to ask for
    failed = without.get(AUTHORIZE, authorize_params(site, Pkce.new(), claims=essential(ACR_MFA)))
    assert query_of(failed["Location"])["error"] == "unmet_authentication_requirements"
    unknown = without.get(AUTHORIZE, authorize_params(site, Pkce.new(), claims=essential("urn:other:gold")))
    assert query_of(unknown["Location"])["error"] == "unmet_authentication_requirements"
    met = without.get(AUTHORIZE, authorize_params(site, Pkce.new(), claims=essential(ACR_PASSWORD, ACR_MFA)))
    assert "code" in query_of(met["Location"])
    assert provider_metadata()["claims_parameter_supported"] is True


@pytest.mark.parametrize(
    "claims", ["not json", "[1]", '{"id_token": {"acr": {"essential": true, "values": [1]}}}', "[" * 3000]
)
def test_a_malformed_claims_parameter_is_an_error_at_the_site(site, claims):
    response = Client().get(AUTHORIZE, authorize_params(site, Pkce.new(), claims=claims))
    assert query_of(response["Location"])["error"] == "invalid_request"
