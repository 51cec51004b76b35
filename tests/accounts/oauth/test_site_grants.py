"""A site's grant ends on its own, the SSO session going on: consent withdrawn, the
site disabled (DESIGN.md section 5). Its tokens stop at once, other sites stay."""

from __future__ import annotations

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Consent, EndedGrant, SSOSession
from tests.accounts.oauth.test_logout import partner, sign_in_to
from tests.support.exchange import exchange as token_exchange
from tests.support.exchange import native_app, native_sso_params
from tests.support.http_peer import LogoutReceiver, free_port
from tests.support.oauth import Pkce, exchange_code, obtain_code, token_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receivers():
    peers = {name: LogoutReceiver(free_port()).start() for name in ("shop", "forum")}
    yield peers
    for peer in peers.values():
        peer.stop()


@pytest.fixture
def two_sites(receivers, browser):
    shop, forum = partner("shop", receivers["shop"].uri), partner("forum", receivers["forum"].uri)
    return {"shop": (shop, sign_in_to(shop, browser)), "forum": (forum, sign_in_to(forum, browser))}


def usable(tokens: dict, client_id: str) -> dict[str, bool]:
    refresh = token_request(
        Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, client_id=client_id
    )
    api = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    if refresh.status_code == 200:
        tokens.update(refresh.json())
    return {"refresh": refresh.status_code == 200, "api": api.status_code == 200}


def test_withdrawing_consent_ends_that_sites_grant_at_once(user, browser, two_sites, receivers):
    """The attack: minutes after "Withdraw" the site still refreshed and read /api/v1/me."""
    shop, shop_tokens = two_sites["shop"]
    consent = Consent.objects.get(user=user, site=shop)
    assert browser.post(reverse("accounts:withdraw_consent", args=[consent.pk])).status_code == 302

    assert usable(shop_tokens, "shop") == {"refresh": False, "api": False}
    (logout_token,) = receivers["shop"].tokens  # told by back-channel logout
    assert (
        jwt.decode(logout_token, options={"verify_signature": False})["sid"]
        == jwt.decode(shop_tokens["id_token"], options={"verify_signature": False})["sid"]
    )
    forum_tokens = two_sites["forum"][1]
    assert usable(forum_tokens, "forum") == {"refresh": True, "api": True}  # the other site stays signed in
    assert receivers["forum"].tokens == []
    assert browser.get(reverse("accounts:account")).status_code == 200  # and so does the IdP session
    assert EndedGrant.objects.get(site=shop).reason == "consent_withdrawn"

    again = browser.get(
        reverse("oauth:authorize"),
        {
            "client_id": "shop",
            "redirect_uri": shop.redirect_uris[0],
            "response_type": "code",
            "scope": "openid",
            "code_challenge": Pkce.new().challenge,
            "code_challenge_method": "S256",
        },
    )
    assert again.status_code == 200 and 'value="allow"' in again.content.decode()  # consent is asked again


def test_signing_in_again_after_withdrawal_starts_a_new_grant_that_works(user, browser, two_sites, receivers):
    import time

    shop, _ = two_sites["shop"]
    browser.post(reverse("accounts:withdraw_consent", args=[Consent.objects.get(user=user, site=shop).pk]))
    time.sleep(1.1)  # token times have whole seconds: a new grant's tokens are issued in a later one
    fresh = sign_in_to(shop, browser)
    assert usable(fresh, "shop") == {"refresh": True, "api": True}
    browser.post(reverse("accounts:logout"))
    assert len(receivers["shop"].tokens) == 2  # told at withdrawal, and again at the logout after signing in again


def test_withdrawal_revokes_the_device_secret_issued_to_that_app(user, browser):
    app = native_app("acme-mail", first_party=False)
    other = native_app("acme-calendar", first_party=False)
    pkce = Pkce.new()
    first = exchange_code(Client(), app, obtain_code(browser, app, pkce, scope="openid device_sso"), pkce).json()
    obtain_code(browser, other, Pkce.new(), scope="openid")  # the user allowed the second app too
    assert token_exchange("acme-calendar", **native_sso_params(first, scope="openid")).status_code == 200
    browser.post(reverse("accounts:withdraw_consent", args=[Consent.objects.get(user=user, site=app).pk]))
    refused = token_exchange("acme-calendar", **native_sso_params(first, scope="openid"))
    assert refused.status_code == 400 and "device secret" in refused.json()["error_description"]


def test_disabling_a_site_ends_its_grants_and_tells_it(user, browser, two_sites, receivers):
    shop, shop_tokens = two_sites["shop"]
    shop.is_active = False
    shop.save()
    assert len(receivers["shop"].tokens) == 1
    shop.is_active = True
    shop.save()  # even enabled again, what it held before is dead
    assert usable(shop_tokens, "shop") == {"refresh": False, "api": False}
    assert usable(two_sites["forum"][1], "forum") == {"refresh": True, "api": True}
    assert SSOSession.objects.active().filter(user=user).count() == 1
