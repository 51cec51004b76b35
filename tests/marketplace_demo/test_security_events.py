"""The partner demo's RFC 8935 receiver: a real partner process, SETs signed by the IdP's key ring."""

from __future__ import annotations

import secrets
import sqlite3

import pytest
import requests
from django.utils import timezone

from accounts.models import PartnerSite
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.tokens import LogoutToken
from accounts.privacy.security_events import (
    ACCOUNT_DISABLED,
    ACCOUNT_PURGED,
    RISC_EVENT_TYPES,
    security_event_token,
)

pytestmark = pytest.mark.django_db(transaction=True)
SUB = "subject-of-the-test"


def post_set(partner, body: str, content_type: str = "application/secevent+jwt") -> requests.Response:
    return requests.post(
        f"{partner.url}/oidc/security-events/", data=body.encode(), headers={"Content-Type": content_type}, timeout=10
    )


def make_set(site: PartnerSite, event: str = ACCOUNT_PURGED, sub: str = SUB) -> str:
    return security_event_token(site, event, sub=sub, jti=secrets.token_urlsafe(24), issued_at=timezone.now())


def local_data(partner, sub: str = SUB) -> tuple[int, int]:
    return partner.local_account(sub)


@pytest.fixture
def seeded(marketplace):
    """The partner's local account for SUB: an installation and a signed-in session."""
    with sqlite3.connect(marketplace.workdir / f"{marketplace.client_id}.sqlite3") as db:
        db.execute("DELETE FROM marketplace_demo_installation WHERE sub = ?", [SUB])
        db.execute("DELETE FROM marketplace_demo_signedinsession WHERE sub = ?", [SUB])
        db.execute(
            "INSERT INTO marketplace_demo_installation (sub, item_id, installed_at) "
            "SELECT ?, id, datetime('now') FROM marketplace_demo_item LIMIT 1",
            [SUB],
        )
        db.execute(
            "INSERT INTO marketplace_demo_signedinsession (session_key, sid, sub, created_at) "
            "VALUES (?, 'sid-of-the-test', ?, datetime('now'))",
            [secrets.token_hex(16), SUB],
        )
    assert local_data(marketplace) == (1, 1)
    return PartnerSite.objects.get(client_id=marketplace.client_id)


def test_account_purged_removes_the_local_account_and_a_retry_is_acknowledged(marketplace, seeded):
    token = make_set(seeded)
    response = post_set(marketplace, token)
    assert response.status_code == 202, response.text
    assert local_data(marketplace) == (0, 0)
    assert post_set(marketplace, token).status_code == 202  # the same jti again: acknowledged, nothing redone


def test_account_disabled_ends_the_sessions_and_keeps_the_data(marketplace, seeded):
    assert post_set(marketplace, make_set(seeded, ACCOUNT_DISABLED)).status_code == 202
    assert local_data(marketplace) == (1, 0)


def _refused(partner, body: str, err: str, **kwargs) -> None:
    response = post_set(partner, body, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["err"] == err
    assert local_data(partner) == (1, 1)  # nothing changed


def test_a_forged_signature_is_refused(marketplace, seeded):
    header, payload, signature = make_set(seeded).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    _refused(marketplace, f"{header}.{payload}.{flipped}", "invalid_key")


def test_a_token_for_another_site_is_refused(marketplace, seeded):
    elsewhere = PartnerSite.objects.create(
        client_id="elsewhere", name="Elsewhere", redirect_uris=["https://e.example/cb"]
    )
    _refused(marketplace, make_set(elsewhere), "invalid_audience")


def test_an_unsupported_event_type_is_refused(marketplace, seeded):
    _refused(marketplace, make_set(seeded, RISC_EVENT_TYPES + "credential-compromise"), "invalid_request")


def test_a_logout_token_is_not_a_security_event(marketplace, seeded):
    logout = LogoutToken(audience=seeded.client_id).set_claims(sub=SUB, events={ACCOUNT_PURGED: {}})
    _refused(marketplace, logout.signed_with(signing_key_for(seeded)), "invalid_request")


def test_the_wrong_content_type_and_garbage_are_refused(marketplace, seeded):
    _refused(marketplace, make_set(seeded), "invalid_request", content_type="application/x-www-form-urlencoded")
    _refused(marketplace, "not.a.token", "invalid_request")
