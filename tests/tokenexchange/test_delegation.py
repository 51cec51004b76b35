"""Profile 3: audience and delegation exchange for services, allowed only by an explicit policy."""

from __future__ import annotations

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Consent
from accounts.oauth.registry import SiteRegistration, register_site
from tests.support.exchange import ACCESS_TOKEN, exchange
from tests.support.oauth import SECRET, Pkce, exchange_code, obtain_code, token_request

pytestmark = pytest.mark.django_db


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def me(token: str):
    return Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")


def userinfo(token: str):
    return Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def services(site):
    """search names marketplace as a caller; billing, in another sector, too; payroll names nobody."""
    search, _ = register_site(
        SiteRegistration(
            client_id="search",
            name="Search API",
            client_secret=SECRET,
            redirect_uris=["http://127.0.0.1:8001/search/cb"],
            scopes=["openid", "email", "profile"],
            exchange_clients=["marketplace"],
            delegation_actors=["marketplace"],
            resource_uri="https://search.example/api",
        )
    )
    billing, _ = register_site(
        SiteRegistration(
            client_id="billing",
            name="Billing API",
            client_secret=SECRET,
            redirect_uris=["https://billing.example/cb"],
            scopes=["openid", "email"],
            exchange_clients=["marketplace"],
            subject_type="pairwise",
        )
    )
    payroll, _ = register_site(
        SiteRegistration(
            client_id="payroll",
            name="Payroll API",
            client_secret=SECRET,
            redirect_uris=["http://127.0.0.1:8001/pay/cb"],
        )
    )
    return search, billing, payroll


@pytest.fixture
def consented(services, user):
    """The user has allowed search (and billing) too: at their own sign-ins."""
    search, billing, _ = services
    Consent.objects.create(user=user, site=search, scopes=["openid", "email", "profile"])
    Consent.objects.create(user=user, site=billing, scopes=["openid", "email"])


@pytest.fixture
def user_token(site, browser):
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()["access_token"]


def client_token(client_id: str = "marketplace") -> str:
    response = token_request(Client(), {"grant_type": "client_credentials"}, client_id=client_id)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def to_search(subject: str, caller: str = "marketplace", **params):
    return exchange(caller, subject_token=subject, subject_token_type=ACCESS_TOKEN, **{"audience": "search", **params})


# --- the attack: any caller, any audience -------------------------------------------------------------


def test_a_public_client_cannot_exchange_its_token_for_another_sites(services, consented, browser):
    """The attack: a public client, its own token for a user who consented only to it, asked for a
    token with aud = another registered site and got one, with that site's pairwise subject."""
    mobile, _ = register_site(
        SiteRegistration(
            client_id="mobile", name="Mobile", public=True, redirect_uris=["http://127.0.0.1:7000/mobile/cb"]
        )
    )
    pkce = Pkce.new()
    token = token_request(
        Client(),
        {
            "grant_type": "authorization_code",
            "code": obtain_code(browser, mobile, pkce),
            "redirect_uri": mobile.redirect_uris[0],
            "code_verifier": pkce.verifier,
            "client_id": "mobile",
        },
        secret=None,
    ).json()["access_token"]
    for target in ("search", "billing", "payroll"):
        refused = token_request(
            Client(),
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": token,
                "subject_token_type": ACCESS_TOKEN,
                "audience": target,
                "client_id": "mobile",
            },
            secret=None,
        )
        assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"


def test_a_target_that_names_no_caller_gives_nobody_its_tokens(services, consented, user_token, user):
    Consent.objects.create(user=user, site=services[2], scopes=["openid"])
    for params in ({"audience": "payroll"}, {"resource": "https://search.example/api", "audience": "payroll"}):
        refused = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, **params)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"


def test_a_target_the_user_has_not_allowed_is_refused(services, user_token):
    refused = to_search(user_token)
    assert refused.json() == {"error": "invalid_target", "error_description": "The user has not allowed that service."}


def test_a_pairwise_subject_never_crosses_sectors(services, consented, user_token):
    """billing knows the user by a pairwise subject of its own sector: the caller must not learn it."""
    refused = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, audience="billing")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"


def test_an_exchanged_token_opens_neither_userinfo_nor_our_api(services, consented, user_token):
    issued = to_search(user_token).json()["access_token"]
    assert userinfo(issued).status_code == 401 and me(issued).status_code == 401
    assert userinfo(user_token).status_code == 200  # the caller's own token still does


# --- what the policy allows -------------------------------------------------------------------------------


def test_an_allowed_caller_gets_a_narrowed_token_for_a_consented_target(services, consented, user_token, user):
    response = to_search(user_token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and "refresh_token" not in body
    issued = claims(body["access_token"])
    assert issued["aud"] == "search" and issued["client_id"] == "marketplace" and issued["sub"] == str(user.pk)
    assert set(issued["scope"].split()) == {"openid", "email", "profile"} and "act" not in issued
    assert issued["sid"] == claims(user_token)["sid"] and issued["exp"] <= claims(user_token)["exp"]


def test_the_scope_is_within_the_subject_token_the_target_and_the_consent(services, user, user_token):
    Consent.objects.create(user=user, site=services[0], scopes=["openid", "email"])
    body = to_search(user_token).json()
    assert body["scope"] == "openid email"  # not profile: the user allowed search less than marketplace
    assert to_search(user_token, scope="openid profile").json()["error"] == "invalid_scope"
    assert to_search(user_token, scope="openid admin").json()["error"] == "invalid_scope"


def test_resource_names_the_target(services, consented, user_token):
    body = exchange(
        "marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, resource="https://search.example/api"
    ).json()
    assert claims(body["access_token"])["aud"] == "search"


@pytest.mark.parametrize(
    "params, error",
    [
        ({"audience": "nobody"}, "invalid_target"),
        ({"resource": "https://unknown.example/api", "audience": None}, "invalid_target"),
        ({"audience": None}, "invalid_request"),
    ],
)
def test_unknown_or_missing_targets(services, consented, user_token, params, error):
    params = {k: v for k, v in {"audience": "search", **params}.items() if v is not None}
    response = exchange("marketplace", subject_token=user_token, subject_token_type=ACCESS_TOKEN, **params)
    assert response.status_code == 400 and response.json()["error"] == error


def test_subject_token_of_another_client_or_forged(services, consented, user_token):
    assert to_search(user_token, caller="billing").json()["error"] == "invalid_request"
    assert to_search(user_token[:-4] + "AAAA").json()["error"] == "invalid_request"


def test_the_exchanged_token_dies_with_the_session(services, consented, user_token, browser):
    from accounts.oauth.access import InvalidAccessToken, verify_access_token

    issued = to_search(user_token).json()["access_token"]
    assert verify_access_token(issued, audience="search").sso_session.is_active
    browser.post(reverse("accounts:end_all_sessions"))
    assert to_search(user_token).json()["error"] == "invalid_request"
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued, audience="search")


# --- delegation: act names the caller, and the chain is kept ------------------------------------------------


def test_client_credentials_gives_a_confidential_client_a_token_of_its_own(site):
    token = claims(client_token())
    assert (token["sub"], token["client_id"], token["aud"]) == ("marketplace", "marketplace", "marketplace")
    assert "sid" not in token and "scope" not in token
    assert userinfo(client_token()).status_code == 401 and me(client_token()).status_code == 401
    asked_scope = token_request(Client(), {"grant_type": "client_credentials", "scope": "openid"})
    assert asked_scope.json()["error"] == "invalid_scope"


def test_a_public_client_has_no_client_credentials(site):
    register_site(
        SiteRegistration(
            client_id="mobile", name="Mobile", public=True, redirect_uris=["http://127.0.0.1:7000/mobile/cb"]
        )
    )
    refused = token_request(Client(), {"grant_type": "client_credentials", "client_id": "mobile"}, secret=None)
    assert refused.json()["error"] == "unauthorized_client"


def test_delegation_names_the_calling_service_in_act(services, consented, user_token):
    body = to_search(user_token, actor_token=client_token(), actor_token_type=ACCESS_TOKEN, scope="email").json()
    issued = claims(body["access_token"])
    assert issued["act"] == {"sub": "marketplace", "client_id": "marketplace"} and issued["scope"] == "email"
    assert "scope" not in body  # same as requested


def test_another_users_token_cannot_pose_as_the_actor(services, consented, user_token, site, make_user, password):
    """The attack: a user token of the caller's as actor_token made act.sub name someone who never acted."""
    other = Client()
    other.post(reverse("accounts:login"), {"email": make_user("grace@example.org").email, "password": password})
    pkce = Pkce.new()
    graces = exchange_code(Client(), site, obtain_code(other, site, pkce), pkce).json()["access_token"]
    for actor in (graces, user_token):
        refused = to_search(user_token, actor_token=actor, actor_token_type=ACCESS_TOKEN)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
        assert "client_credentials" in refused.json()["error_description"]


def test_delegation_needs_the_target_to_name_the_actor(services, consented, user, user_token):
    refused = to_search(user_token, audience="billing", actor_token=client_token(), actor_token_type=ACCESS_TOKEN)
    assert refused.json()["error"] == "invalid_target"


def test_re_exchanging_a_delegated_token_keeps_the_act_chain(services, consented, user, user_token):
    """The attack: re-exchanging a delegated token dropped its act chain (RFC 8693 section 4.1)."""
    inbox, _ = register_site(
        SiteRegistration(
            client_id="inbox",
            name="Inbox API",
            client_secret=SECRET,
            redirect_uris=["http://127.0.0.1:8001/inbox/cb"],
            exchange_clients=["search"],
            delegation_actors=["search"],
        )
    )
    Consent.objects.create(user=user, site=inbox, scopes=["openid", "email", "profile"])
    delegated = to_search(user_token, actor_token=client_token(), actor_token_type=ACCESS_TOKEN).json()["access_token"]

    onward = exchange(
        "search",
        subject_token=delegated,
        subject_token_type=ACCESS_TOKEN,
        audience="inbox",
        actor_token=client_token("search"),
        actor_token_type=ACCESS_TOKEN,
    ).json()
    assert claims(onward["access_token"])["act"] == {
        "sub": "search",
        "client_id": "search",
        "act": {"sub": "marketplace", "client_id": "marketplace"},
    }
    plain = exchange("search", subject_token=delegated, subject_token_type=ACCESS_TOKEN, audience="inbox").json()
    assert claims(plain["access_token"])["act"] == {"sub": "marketplace", "client_id": "marketplace"}


def test_may_act_in_a_subject_token_allows_nothing(services, consented, user_token):
    """Our tokens never carry may_act; one that does must not open delegation by itself."""
    from accounts.oauth.tokens import SSOAccessToken

    subject = claims(user_token)
    with_may_act = str(
        SSOAccessToken(audience="marketplace").set_claims(
            sub=subject["sub"],
            client_id="marketplace",
            scope=subject["scope"],
            sid=subject["sid"],
            may_act={"client_id": "marketplace"},
        )
    )
    refused = exchange(
        "marketplace",
        subject_token=with_may_act,
        subject_token_type=ACCESS_TOKEN,
        audience="billing",
        actor_token=client_token(),
        actor_token_type=ACCESS_TOKEN,
    )
    assert refused.json()["error"] == "invalid_target"


def test_unsupported_combinations_are_refused(services, consented, user_token):
    response = to_search(user_token, actor_token="x", actor_token_type="urn:openid:params:token-type:device-secret")
    assert response.json()["error"] == "unsupported_token_type"
    wrong_requested = to_search(user_token, requested_token_type="urn:ietf:params:oauth:token-type:id_token")
    assert wrong_requested.json()["error"] == "unsupported_token_type"
