"""The token endpoint: code exchange with PKCE, token contents, refresh rotation and reuse."""

from __future__ import annotations

import base64
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import AuditEvent, AuthorizationCode, PartnerSite, RefreshTokenRecord, SSOSession, User
from accounts.oauth.claims import token_hash
from accounts.oauth.keyring import signing_keyring
from accounts.oauth.sector_sid import sid_for
from tests.support.keys import after_publish_ahead
from tests.support.oauth import SECRET, Pkce, exchange_code, form_post, obtain_code, token_request

pytestmark = pytest.mark.django_db
TOKEN = reverse("oauth:token")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def tokens(site, browser):
    pkce = Pkce.new()
    response = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce)
    assert response.status_code == 200, response.content
    return response.json()


def refresh(refresh_token: str, **extra):
    return token_request(Client(), {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra})


def test_code_exchange_returns_the_three_tokens_with_no_store(write_path, site, browser):
    pkce = Pkce.new()
    response = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 300, "openid email profile")


def test_access_token_follows_rfc_9068(tokens, user, site):
    header, access = jwt.get_unverified_header(tokens["access_token"]), claims(tokens["access_token"])
    assert header["typ"] == "at+jwt" and header["kid"] and header["alg"] == "RS256"
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "sid"} <= set(access)
    assert (access["iss"], access["aud"], access["client_id"], access["sub"]) == (
        "http://localhost:8000",
        "marketplace",
        "marketplace",
        str(user.pk),
    )
    assert access["exp"] - access["iat"] == 300
    assert "email" not in access and "name" not in access  # no PII in access tokens
    assert access["sid"] == sid_for(SSOSession.objects.get(user=user).sid, site)  # the sector's own sid


def test_id_token_carries_nonce_auth_time_sid_at_hash_and_consented_claims(tokens, user, site):
    header, id_token = jwt.get_unverified_header(tokens["id_token"]), claims(tokens["id_token"])
    assert header["typ"] == "JWT"
    assert id_token["nonce"] == "nonce-456" and id_token["aud"] == "marketplace" and id_token["azp"] == "marketplace"
    assert id_token["at_hash"] == token_hash(tokens["access_token"], "RS256")
    session = SSOSession.objects.get(user=user)
    assert id_token["sid"] == sid_for(session.sid, site) and id_token["auth_time"] == int(session.auth_time.timestamp())
    assert (id_token["email"], id_token["name"]) == ("ada@example.org", "Ada Lovelace")


def test_id_token_without_email_or_profile_scope_has_no_pii(site, browser):
    pkce = Pkce.new()
    body = exchange_code(Client(), site, obtain_code(browser, site, pkce, scope="openid"), pkce).json()
    id_token = claims(body["id_token"])
    assert "email" not in id_token and "name" not in id_token


def test_refresh_tokens_are_not_stored_in_usable_form(tokens):
    stored = OutstandingToken.objects.get()
    assert stored.token.startswith("sha256:")
    assert tokens["refresh_token"] not in stored.token
    assert jwt.get_unverified_header(tokens["refresh_token"])["typ"] == "rt+jwt"


def test_pairwise_subjects_are_stable_per_site_and_differ_between_sites(pairwise_sites, browser, user):
    subs = {}
    for site in pairwise_sites:
        for _ in range(2):
            pkce = Pkce.new()
            body = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
            sub = claims(body["id_token"])["sub"]
            assert claims(body["access_token"])["sub"] == sub
            subs.setdefault(site.client_id, set()).add(sub)
    assert all(len(values) == 1 for values in subs.values())
    languages, books = subs["languages"].pop(), subs["books"].pop()
    assert languages != books and str(user.pk) not in (languages, books)


def test_wrong_verifier_is_refused(write_path, site, browser):
    code = obtain_code(browser, site, Pkce.new())
    response = exchange_code(Client(), site, code, Pkce.new())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not OutstandingToken.objects.exists()


def test_redirect_uri_must_match_the_authorization_request(write_path, site, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    response = token_request(
        Client(),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:8001/other",
            "code_verifier": pkce.verifier,
        },
    )
    assert response.json()["error"] == "invalid_grant"


def test_reused_code_is_refused_and_revokes_what_it_issued(write_path, site, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    first = exchange_code(Client(), site, code, pkce).json()
    second = exchange_code(Client(), site, code, pkce)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert refresh(first["refresh_token"]).json()["error"] == "invalid_grant"
    userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert userinfo.status_code == 401
    assert AuditEvent.objects.filter(event_type="authorization_code_reuse").count() == 1


def test_expired_code_is_refused(write_path, site, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exchange_code(Client(), site, code, pkce).json()["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(write_path, site, pairwise_sites, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    response = token_request(
        Client(),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": site.redirect_uris[0],
            "code_verifier": pkce.verifier,
        },
        client_id="languages",
    )
    assert response.json()["error"] == "invalid_grant"


def test_client_secret_basic_works_and_bad_secrets_are_invalid_client(site, browser):
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": site.redirect_uris[0],
        "code_verifier": pkce.verifier,
    }
    wrong = base64.b64encode(b"marketplace:wrong").decode()
    refused = form_post(Client(), TOKEN, data, HTTP_AUTHORIZATION=f"Basic {wrong}")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused["WWW-Authenticate"].startswith("Basic")
    good = base64.b64encode(f"marketplace:{SECRET}".encode()).decode()
    assert form_post(Client(), TOKEN, data, HTTP_AUTHORIZATION=f"Basic {good}").status_code == 200
    assert token_request(Client(), data, secret=None).json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "data, content_type, status, error",
    [
        ({"grant_type": "password", "username": "x", "password": "y"}, None, 400, "unsupported_grant_type"),
        ({}, None, 400, "invalid_request"),
        ('{"grant_type": "refresh_token"}', "application/json", 400, "invalid_request"),
        ({"grant_type": "refresh_token"}, "multipart/form-data; boundary=BoUnDaRyStRiNg", 400, "invalid_request"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"}, None, 400, "invalid_request"),
    ],
)
def test_malformed_token_requests_answer_in_rfc_6749_shape(site, data, content_type, status, error):
    if content_type:
        response = Client().post(TOKEN, data, content_type=content_type)
    else:
        response = token_request(Client(), data)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"


def test_repeated_parameters_and_get_are_refused(site):
    response = Client().post(
        TOKEN,
        "grant_type=refresh_token&grant_type=authorization_code",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json()["error"] == "invalid_request"
    assert Client().get(TOKEN).status_code == 405


def test_refresh_rotates_and_blacklists_the_old_token(write_path, tokens):
    response = refresh(tokens["refresh_token"])
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert claims(rotated["access_token"])["sid"] == claims(tokens["access_token"])["sid"]
    old_jti = claims(tokens["refresh_token"])["jti"]
    assert BlacklistedToken.objects.filter(token__jti=old_jti).exists()
    assert refresh(rotated["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_ends_the_whole_session(write_path, tokens, browser, user):
    newer = refresh(tokens["refresh_token"]).json()
    reuse = refresh(tokens["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    session = SSOSession.objects.get(user=user)
    assert session.end_reason == "refresh_token_reuse"
    assert refresh(newer["refresh_token"]).json()["error"] == "invalid_grant"  # the thief's copy is dead too
    assert browser.get(reverse("accounts:account")).status_code == 302  # and the IdP browser session
    assert AuditEvent.objects.filter(event_type="refresh_token_reuse").exists()


def test_refresh_tokens_are_bound_to_their_client(write_path, tokens, pairwise_sites):
    response = token_request(
        Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, client_id="languages"
    )
    assert response.json()["error"] == "invalid_grant"
    assert refresh(tokens["refresh_token"]).status_code == 200  # still usable by its own client


def test_refresh_can_narrow_but_not_widen_scope(write_path, tokens):
    assert refresh(tokens["refresh_token"], scope="openid email admin").json()["error"] == "invalid_scope"
    narrowed = refresh(tokens["refresh_token"], scope="openid").json()
    assert narrowed["scope"] == "openid"


def test_an_id_token_or_access_token_is_not_a_refresh_token(write_path, tokens):
    for other in (tokens["id_token"], tokens["access_token"]):
        assert refresh(other).json()["error"] == "invalid_grant"


def test_refresh_tokens_carry_a_mac_that_no_published_key_or_signature_can_stand_in_for(write_path, tokens):
    header, payload = jwt.get_unverified_header(tokens["refresh_token"]), claims(tokens["refresh_token"])
    key = signing_keyring().current
    assert (header["alg"], header["kid"]) == ("HS256", key.kid)
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    headers = {"kid": key.kid, "typ": "rt+jwt"}
    forgeries = [
        jwt.encode(payload, key.private_key, algorithm="RS256", headers=headers),  # a valid signature, wrong kind
        _hs256(payload, headers, public_pem),  # the published key as MAC secret
        _hs256(payload, headers, b"s" * 32),
    ]
    for forged in forgeries:
        assert refresh(forged).json()["error"] == "invalid_grant"
    assert RefreshTokenRecord.objects.filter(rotated_at__isnull=False).count() == 0
    assert refresh(tokens["refresh_token"]).status_code == 200


def _hs256(payload: dict, headers: dict, secret: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', **headers}).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), 'sha256').digest())}"


def test_refresh_tokens_stay_usable_across_a_signing_key_rotation(write_path, tokens):
    old_kid = jwt.get_unverified_header(tokens["refresh_token"])["kid"]
    call_command("rotate_signing_key")
    after_publish_ahead()
    rotated = refresh(tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.content
    assert jwt.get_unverified_header(rotated.json()["refresh_token"])["kid"] not in (old_kid, None)
    assert refresh(rotated.json()["refresh_token"]).status_code == 200


def test_public_client_uses_pkce_without_a_secret(db, browser):
    from accounts.oauth.registry import SiteRegistration, register_site

    app, _ = register_site(
        SiteRegistration(client_id="mobile", name="Mobile", public=True, redirect_uris=["http://127.0.0.1:7000/cb"])
    )
    pkce = Pkce.new()
    code = obtain_code(browser, app, pkce)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": pkce.verifier,
        "client_id": "mobile",
    }
    with_secret = token_request(Client(), data, secret="anything", client_id="mobile")
    assert with_secret.json()["error"] == "invalid_client"
    body = token_request(Client(), data, secret=None).json()
    assert "access_token" in body and "refresh_token" in body
    rotated = token_request(
        Client(),
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": "mobile"},
        secret=None,
    )
    assert rotated.status_code == 200


def test_ending_the_session_blacklists_every_refresh_token_it_issued(site, browser, tokens):
    pkce = Pkce.new()
    exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce)
    refresh(tokens["refresh_token"])
    assert OutstandingToken.objects.count() == 3
    browser.post(reverse("accounts:end_all_sessions"))
    assert BlacklistedToken.objects.count() == 3


def test_refresh_records_its_successor_and_an_audit_event(write_path, tokens, user):
    rotated = refresh(tokens["refresh_token"]).json()
    successor = RefreshTokenRecord.objects.get(outstanding__jti=claims(rotated["refresh_token"])["jti"])
    assert successor.rotated_at is None and successor.scope == rotated["scope"]
    assert successor.outstanding.user_id == user.pk
    assert successor.outstanding.token.startswith("sha256:")  # never the usable text
    issued = AuditEvent.objects.filter(event_type="token_issued", detail__grant="refresh_token")
    assert [(e.user_id, e.sid) for e in issued] == [(user.pk, SSOSession.objects.get(user=user).sid)]


def test_refresh_is_refused_without_writes_once_the_account_is_disabled(write_path, tokens, user):
    # Behind the ORM's back, so that the refresh's own check is what refuses (a save
    # ends the sessions first: tests/accounts/test_credential_changes.py).
    User.objects.filter(pk=user.pk).update(is_active=False)
    outstanding = OutstandingToken.objects.count()
    response = refresh(tokens["refresh_token"])
    assert response.json() == {"error": "invalid_grant", "error_description": "The sign-in session has ended."}
    assert OutstandingToken.objects.count() == outstanding
    assert not BlacklistedToken.objects.exists()
    assert RefreshTokenRecord.objects.get(outstanding__jti=claims(tokens["refresh_token"])["jti"]).rotated_at is None


def test_a_blacklisted_refresh_token_is_refused(write_path, tokens):
    BlacklistedToken.objects.create(token=OutstandingToken.objects.get(jti=claims(tokens["refresh_token"])["jti"]))
    assert refresh(tokens["refresh_token"]).json()["error_description"] == "The refresh token has been revoked."


def test_a_deactivated_client_or_a_replaced_secret_is_refused_at_once(tokens, site):
    from accounts.oauth.registry import SiteRegistration, register_site

    assert refresh(tokens["refresh_token"]).status_code == 200  # the site is now cached
    register_site(
        SiteRegistration(
            client_id=site.client_id,
            name=site.name,
            redirect_uris=site.redirect_uris,
            client_secret="a-brand-new-secret-for-this-client-0123456789",
        )
    )
    assert refresh(tokens["refresh_token"]).json()["error"] == "invalid_client"
    stored = PartnerSite.objects.get(pk=site.pk)
    stored.set_client_secret(SECRET)
    stored.is_active = False
    stored.save()
    assert refresh(tokens["refresh_token"]).json()["error"] == "invalid_client"


@pytest.mark.postgres  # a reader beside an open write transaction: SQLite locks the table
@pytest.mark.django_db(transaction=True)
def test_a_site_cached_again_before_its_change_commits_is_evicted_at_commit(site):
    import threading

    from django.db import connections, transaction

    from accounts.oauth.registry import _local_sites, active_site

    seen = []

    def concurrent_request_caches_the_committed_row():
        try:
            seen.append(active_site(site.client_id).is_active)
        finally:
            connections.close_all()

    with transaction.atomic():
        stored = PartnerSite.objects.get(pk=site.pk)
        stored.is_active = False
        stored.save()
        reader = threading.Thread(target=concurrent_request_caches_the_committed_row)
        reader.start()
        reader.join()
        assert seen == [True]  # the concurrent request cached the old, committed row
        _local_sites.pop(site.client_id, None)  # as if that request ran in another process
    assert active_site(site.client_id) is None


def test_sites_of_two_sectors_cannot_link_the_session_by_its_sid(pairwise_sites, browser, user):
    """OIDC Core 17.3: the attack gave two pairwise sites of different sectors the same sid."""
    from accounts.oauth.sector_sid import internal_sid

    seen = {}
    for site in pairwise_sites:
        pkce = Pkce.new()
        body = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce).json()
        assert claims(body["id_token"])["sid"] == claims(body["access_token"])["sid"]
        seen[site.client_id] = (site, body)
    (languages, at_languages), (books, at_books) = seen["languages"], seen["books"]
    sid_at_languages, sid_at_books = claims(at_languages["id_token"])["sid"], claims(at_books["id_token"])["sid"]
    session = SSOSession.objects.get(user=user)
    assert sid_at_languages != sid_at_books and session.sid not in (sid_at_languages, sid_at_books)
    assert internal_sid(sid_at_languages, languages) == internal_sid(sid_at_books, books) == session.sid
    assert internal_sid(sid_at_languages, books) is None  # a sid means nothing in another sector
    for body in (at_languages, at_books):
        userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
        assert userinfo.status_code == 200  # still resolved to the one SSO session


def test_a_narrowed_refresh_keeps_the_refresh_tokens_scope(write_path, tokens):
    """RFC 6749 section 6: the new refresh token has the scope of the one presented; the attack
    found the chain narrowed for good after one narrowed refresh."""
    narrowed = refresh(tokens["refresh_token"], scope="openid").json()
    assert narrowed["scope"] == "openid" and claims(narrowed["access_token"])["scope"] == "openid"
    assert claims(narrowed["refresh_token"])["scope"] == "openid email profile"
    again = refresh(narrowed["refresh_token"])
    assert again.status_code == 200 and again.json()["scope"] == "openid email profile"


@pytest.mark.parametrize(
    "content_type, body, description",
    [
        ("application/x-www-form-urlencoded; charset=latin-1", "grant_type=refresh_token", "UTF-8"),
        ("application/x-www-form-urlencoded", "&".join(f"p{i}=1" for i in range(1200)), "too many parameters"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
            "application/x-www-form-urlencoded",
        ),
        # No boundary, or one Django's multipart parser refuses: it raises before any view runs.
        ("multipart/form-data", "grant_type=refresh_token", "application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=", "grant_type=refresh_token", "application/x-www-form-urlencoded"),
    ],
)
def test_bodies_django_refuses_get_the_oauth_error_shape(site, content_type, body, description):
    response = Client().post(reverse("oauth:token"), body, content_type=content_type)
    assert response.status_code == 400 and response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_request" and description in response.json()["error_description"]


def test_a_replayed_code_revokes_the_refresh_tokens_rotated_from_it(write_path, site, browser):
    """RFC 6749 section 4.1.2: the attack found only the code's first tokens revoked, not their successors."""
    pkce = Pkce.new()
    code = obtain_code(browser, site, pkce)
    first = exchange_code(Client(), site, code, pkce).json()
    rotated = refresh(first["refresh_token"]).json()
    assert exchange_code(Client(), site, code, pkce).json()["error"] == "invalid_grant"  # the replay
    assert refresh(rotated["refresh_token"]).json()["error"] == "invalid_grant"
    userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}")
    assert userinfo.status_code == 401
    assert SSOSession.objects.active().exists()  # the site's grant ended, not the user's session
