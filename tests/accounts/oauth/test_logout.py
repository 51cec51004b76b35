"""Single logout: RP-initiated logout, and durable back-channel delivery to real HTTP servers."""

from __future__ import annotations

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, OutboxMessage, SSOSession
from accounts.oauth.backchannel import BACKCHANNEL_EVENT
from accounts.oauth.registry import SiteRegistration, register_site
from tests.support.http_peer import LogoutReceiver, free_port
from tests.support.oauth import SECRET, Pkce, exchange_code, obtain_code, token_request

END_SESSION = reverse("oauth:end_session")


def sign_in_to(site, browser) -> dict:
    pkce = Pkce.new()
    return exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()


def partner(client_id: str, receiver_uri: str, subject_type: str = "public"):
    site, _ = register_site(
        SiteRegistration(
            client_id=client_id,
            name=client_id.title(),
            redirect_uris=[f"http://127.0.0.1:9/{client_id}/cb"],
            post_logout_redirect_uris=[f"http://127.0.0.1:9/{client_id}/"],
            backchannel_logout_uri=receiver_uri,
            client_secret=SECRET,
            subject_type=subject_type,
        )
    )
    return site


def verify_logout_token(raw: str, client, audience: str) -> dict:
    header = jwt.get_unverified_header(raw)
    jwks = client.get(reverse("oauth:jwks")).json()
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == header["kid"])
    assert header["typ"] == "logout+jwt"
    return jwt.decode(raw, key.key, algorithms=[header["alg"]], audience=audience, issuer="http://localhost:8000")


@pytest.mark.django_db(transaction=True)
def test_logout_at_one_site_tells_every_site_the_session_touched(browser, user):
    receivers = [LogoutReceiver(free_port()).start() for _ in range(2)]
    try:
        shop, forum = partner("shop", receivers[0].uri), partner("forum", receivers[1].uri, "pairwise")
        shop_tokens, forum_tokens = sign_in_to(shop, browser), sign_in_to(forum, browser)

        response = browser.get(
            END_SESSION,
            {
                "id_token_hint": shop_tokens["id_token"],
                "post_logout_redirect_uri": "http://127.0.0.1:9/shop/",
                "state": "s1",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "http://127.0.0.1:9/shop/?state=s1"
        assert response["Clear-Site-Data"] == '"cookies", "storage"'

        for receiver, site, tokens in ((receivers[0], shop, shop_tokens), (receivers[1], forum, forum_tokens)):
            (raw,) = receiver.tokens
            claims = verify_logout_token(raw, browser, site.client_id)
            id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
            assert claims["sid"] == id_claims["sid"] and claims["sub"] == id_claims["sub"]  # as that site knows it
            assert claims["events"] == {BACKCHANNEL_EVENT: {}} and "nonce" not in claims
            assert {"iat", "jti", "exp"} <= set(claims)
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}

        assert SSOSession.objects.get(user=user).end_reason == "logout"
        assert browser.get(reverse("accounts:account")).status_code == 302
        for tokens, client_id in ((shop_tokens, "shop"), (forum_tokens, "forum")):
            assert (
                token_request(
                    Client(),
                    {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    client_id=client_id,
                ).json()["error"]
                == "invalid_grant"
            )
            assert (
                Client()
                .get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
                .status_code
                == 401
            )
    finally:
        for receiver in receivers:
            receiver.stop()


@pytest.mark.django_db(transaction=True)
def test_a_site_that_is_down_is_told_once_it_is_back(browser, capsys):
    receiver = LogoutReceiver(free_port())
    shop = partner("shop", receiver.uri)
    sign_in_to(shop, browser)
    browser.post(reverse("accounts:logout"))

    delivery = OutboxMessage.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error and delivery.next_attempt_at > timezone.now()

    call_command("deliver_logouts")  # not due yet: nothing sent, still pending
    assert "delivered 0, pending 1" in capsys.readouterr().out

    receiver.start()
    try:
        OutboxMessage.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
        call_command("deliver_logouts")
        assert "delivered 1, pending 0" in capsys.readouterr().out
        assert len(receiver.tokens) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        assert AuditEvent.objects.filter(event_type="backchannel_logout_delivered", client_id="shop").exists()
    finally:
        receiver.stop()


@pytest.mark.django_db(transaction=True)
def test_a_site_answering_an_error_is_retried(browser):
    receiver = LogoutReceiver(free_port(), status=500).start()
    try:
        sign_in_to(partner("shop", receiver.uri), browser)
        browser.post(reverse("accounts:logout"))
        assert OutboxMessage.objects.get().status == "pending"
        assert len(receiver.tokens) == 1
    finally:
        receiver.stop()


@pytest.mark.django_db
def test_end_session_without_a_matching_hint_asks_first(site, browser, user):
    response = browser.get(END_SESSION)
    assert response.status_code == 200 and "Sign out?" in response.content.decode()
    assert SSOSession.objects.active().filter(user=user).exists()
    confirmed = browser.post(END_SESSION)
    assert confirmed.status_code == 200 and "You are signed out" in confirmed.content.decode()
    assert not SSOSession.objects.active().filter(user=user).exists()


@pytest.mark.django_db
def test_end_session_refuses_unregistered_redirects_and_forged_hints(site, browser, user):
    tokens = sign_in_to(site, browser)
    bad_redirect = browser.get(
        END_SESSION, {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert bad_redirect.status_code == 400
    forged = browser.get(END_SESSION, {"id_token_hint": tokens["id_token"][:-4] + "AAAA"})
    assert forged.status_code == 400
    mismatch = browser.get(END_SESSION, {"id_token_hint": tokens["id_token"], "client_id": "other"})
    assert mismatch.status_code == 400
    assert SSOSession.objects.active().filter(user=user).exists()  # nothing was ended


@pytest.mark.django_db
def test_end_session_accepts_an_expired_hint_for_the_current_session(site, browser, user, monkeypatch):
    from datetime import timedelta

    from accounts.oauth.tokens import IDToken

    monkeypatch.setattr(IDToken, "lifetime", timedelta(seconds=-120))
    tokens = sign_in_to(site, browser)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["exp"] < timezone.now().timestamp()
    response = browser.get(
        END_SESSION, {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:8001/"}
    )
    assert response.status_code == 302
    assert not SSOSession.objects.active().filter(user=user).exists()


@pytest.mark.django_db
def test_withdrawing_consent_brings_the_consent_page_back(site, browser):
    from accounts.models import Consent
    from tests.support.oauth import authorize_params

    sign_in_to(site, browser)
    consent = Consent.objects.get()
    assert "Skills Marketplace" in browser.get(reverse("accounts:account")).content.decode()
    browser.post(reverse("accounts:withdraw_consent", args=[consent.pk]))
    assert not Consent.objects.exists()
    assert browser.get(reverse("oauth:authorize"), authorize_params(site, Pkce.new())).status_code == 200
    assert AuditEvent.objects.filter(event_type="consent_withdrawn").exists()


@pytest.mark.django_db(transaction=True)
def test_a_partner_answering_with_a_redirect_is_a_failed_delivery_and_nothing_is_fetched(browser, user):
    """The attack: a back-channel URI answering 302 made the IdP fetch any URL, and counted as delivered."""
    elsewhere, receiver = LogoutReceiver(free_port()).start(), LogoutReceiver(free_port()).start()
    try:
        receiver.redirect_to = elsewhere.uri
        shop = partner("shop", receiver.uri)
        sign_in_to(shop, browser)
        browser.post(reverse("accounts:logout"))
        delivery = OutboxMessage.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 302")
        assert receiver.hits == 1 and elsewhere.hits == 0  # the redirect was not followed
    finally:
        receiver.stop()
        elsewhere.stop()
