"""Passkey endpoints refuse what is not an answer to this session's own challenge, with a
clear JSON error and nothing stored (the ceremonies themselves: tests/browser/test_passkeys.py)."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factors.passkeys import Used
from accounts.models import AuditEvent, Passkey, SSOSession
from tests.support.oauth import signed_in

pytestmark = pytest.mark.django_db
SIGN_IN, OPTIONS = reverse("accounts:passkey_sign_in"), reverse("accounts:passkey_sign_in_options")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assertion_for(challenge: str, origin: str = "http://localhost:8000") -> dict:
    client_data = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": origin}).encode()
    return {
        "id": b64(b"credential"),
        "rawId": b64(b"credential"),
        "type": "public-key",
        "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(b"x" * 37), "signature": b64(b"s")},
    }


def post_json(client, url, body):
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def test_options_are_webauthn_json_for_this_rp_with_a_fresh_challenge():
    client = Client()
    first, second = (json.loads(client.post(OPTIONS).content) for _ in range(2))
    assert first["rpId"] == "localhost" and first["userVerification"] == "preferred"
    assert first["challenge"] != second["challenge"] and len(first["challenge"]) >= 43


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        {"credential": "a string, not an object"},
        {"credential": {"id": "x"}},
        {"credential": {"id": "x", "response": {"clientDataJSON": "!!!"}}},
        {"credential": {"id": "x" * 20_000}},
    ],
)
def test_malformed_responses_are_refused_with_a_json_error(body):
    client = Client()
    client.post(OPTIONS)
    response = post_json(client, SIGN_IN, body)
    assert response.status_code == 400 and "not accepted" in response.json()["error"]
    assert not SSOSession.objects.exists()


def test_a_challenge_of_another_session_is_refused(user):
    theirs = Client()
    challenge = json.loads(theirs.post(OPTIONS).content)["challenge"]
    mine = Client()
    mine.post(OPTIONS)
    response = post_json(mine, SIGN_IN, {"credential": assertion_for(challenge)})
    assert response.status_code == 400
    (refusal,) = AuditEvent.objects.filter(event_type="passkey_refused")
    assert "challenge" in refusal.detail["reason"]


def test_an_answer_without_options_first_is_refused():
    response = post_json(Client(), SIGN_IN, {"credential": assertion_for(b64(b"c" * 32))})
    assert response.status_code == 400


def test_a_challenge_answers_once(user):
    client = Client()
    challenge = json.loads(client.post(OPTIONS).content)["challenge"]
    post_json(client, SIGN_IN, {"credential": assertion_for(challenge)})  # unknown credential: refused, spent
    post_json(client, SIGN_IN, {"credential": assertion_for(challenge)})
    first, second = (e.detail["reason"] for e in AuditEvent.objects.filter(event_type="passkey_refused").order_by("id"))
    assert first == "unknown credential" and "not a challenge" in second  # the second found it spent


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
def test_a_form_body_instead_of_json_is_refused_not_a_500(user, password, multipart):
    """A form post where passkeys.js sends JSON: Django has parsed a multipart body before the
    view (the NUL check), so reading it as JSON raised RawPostDataException: a 500."""
    form = {"name": "Laptop", "credential": "x"}

    def post(client, url):
        if multipart:
            return client.post(url, form)  # the test client's default encoding
        return client.post(url, urlencode(form), content_type="application/x-www-form-urlencoded")

    client = Client()
    client.post(OPTIONS)
    signing_in = post(client, SIGN_IN)
    assert signing_in.status_code == 400 and "not accepted" in signing_in.json()["error"]
    assert not SSOSession.objects.exists()

    browser = signed_in(Client(), user)
    browser.post(reverse("accounts:passkey_register_options"), {"password": password})
    adding = post(browser, reverse("accounts:passkey_register"))
    assert adding.status_code == 400 and "name" in adding.json()["error"]
    assert not Passkey.objects.exists()


def test_adding_needs_the_password_and_a_name(user, password):
    browser = signed_in(Client(), user)
    refused = browser.post(reverse("accounts:passkey_register_options"), {"password": "wrong"})
    assert refused.status_code == 400 and "not entered correctly" in refused.json()["error"]
    assert browser.post(reverse("accounts:passkey_register_options"), {"password": password}).status_code == 200
    for name in ("", "x" * 101, "bad\x07name"):
        response = post_json(browser, reverse("accounts:passkey_register"), {"credential": {}, "name": name})
        assert response.status_code == 400 and "name" in response.json()["error"]
    junk = post_json(browser, reverse("accounts:passkey_register"), {"credential": {"id": "x"}, "name": "Laptop"})
    assert junk.status_code == 400
    assert not Passkey.objects.exists()


def test_what_a_passkey_sign_in_proves():
    synced, bound = Passkey(backed_up=True), Passkey(backed_up=False)
    assert Used(synced, True).methods == ["swk", "user", "mfa"]
    assert Used(bound, False).methods == ["hwk", "user"]
