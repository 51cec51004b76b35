"""Access and ID tokens are signed on the signer thread while the grant's statement runs."""

from __future__ import annotations

import multiprocessing
import threading

import jwt
import pytest
from django.test import Client

from accounts import store
from accounts.oauth import signing_ahead
from accounts.oauth.claims import token_hash
from accounts.oauth.keyring import signing_keyring
from accounts.oauth.token_backend import KeyRingTokenBackend
from accounts.oauth.tokens import IDToken, SSOAccessToken
from tests.support.oauth import Pkce, exchange_code, obtain_code, token_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def overlap(monkeypatch):
    """Signatures wait (up to 5 s) for the recording statement to start, and say
    on which thread they ran and whether the statement had started by then."""
    started = threading.Event()
    signed: list[tuple[str, str, bool]] = []
    encode = KeyRingTokenBackend.encode

    def waiting_encode(self, payload, key=None):
        if not self.issuer_only:  # access and ID tokens; the refresh token's MAC is made first
            signed.append((self.typ, threading.current_thread().name, started.wait(5)))
        return encode(self, payload, key)

    def starting(original):
        def statement(*args, **kwargs):
            started.set()
            return original(*args, **kwargs)

        return statement

    monkeypatch.setattr(KeyRingTokenBackend, "encode", waiting_encode)
    for store_class in (store.orm.OrmStore, store.postgresql.OneStatementStore):
        for write in ("record_issuance", "rotate_refresh_token"):
            monkeypatch.setattr(store_class, write, starting(getattr(store_class, write)))
    return signed


def _tokens(site, browser):
    pkce = Pkce.new()
    response = exchange_code(Client(), site, obtain_code(browser, site, pkce), pkce)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_code_exchange_signs_its_tokens_while_recording_them(write_path, site, browser, overlap):
    tokens = _tokens(site, browser)
    assert [typ for typ, _, _ in overlap] == ["at+jwt", "JWT"]
    assert all(thread.startswith("token-signer") and during for _, thread, during in overlap)
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert id_token["at_hash"] == token_hash(tokens["access_token"], "RS256")


def test_a_refresh_signs_its_access_token_while_rotating(write_path, site, browser, overlap):
    tokens = _tokens(site, browser)
    overlap.clear()
    response = token_request(
        Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "email"}
    )
    assert response.status_code == 200, response.content
    assert [typ for typ, _, _ in overlap] == ["at+jwt"]
    _, thread, during = overlap[0]
    assert thread.startswith("token-signer") and during


def test_a_refused_refresh_hands_out_nothing(write_path, site, browser):
    tokens = _tokens(site, browser)
    assert (
        token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code
        == 200
    )
    reused = token_request(Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400
    assert set(reused.json()) == {"error", "error_description"}


def _sign_in_child(key, token, results) -> None:
    results.put(signing_ahead.sign_ahead(key, token).result(timeout=5)[0])


def test_a_forked_process_signs_with_threads_of_its_own(db):
    """Threads do not survive a fork: a worker forked after its parent signed
    must start its own signer, not queue work for threads that are not there."""
    key = signing_keyring().current
    token = SSOAccessToken(audience="marketplace").set_claims(sub="s", client_id="marketplace", scope="", sid="x")
    parent, _ = signing_ahead.sign_ahead(key, token).result(timeout=5)  # the parent's signer thread is running
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_sign_in_child, args=(key, token, results))
    child.start()
    child.join(10)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
    assert results.get(timeout=1) == parent  # same claims, key and deterministic RS256 signature


def test_the_id_token_hashes_the_access_token_it_was_signed_with(db):
    key = signing_keyring().current
    access = SSOAccessToken(audience="marketplace").set_claims(
        sub="s", client_id="marketplace", scope="openid", sid="x"
    )
    id_token = IDToken(audience="marketplace").set_claims(sub="s", sid="x")
    signed_access, signed_id = signing_ahead.sign_ahead(key, access, id_token).result(timeout=5)
    header = jwt.get_unverified_header(signed_id)
    assert header["kid"] == key.kid == jwt.get_unverified_header(signed_access)["kid"]
    assert jwt.decode(signed_id, options={"verify_signature": False})["at_hash"] == token_hash(
        signed_access, key.algorithm
    )
