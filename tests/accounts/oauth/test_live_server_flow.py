"""The whole authorization-code flow over real HTTP against a live IdP server,
as a partner site's server and a user's browser would run it."""

from __future__ import annotations

import base64
import http.cookiejar
import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import jwt
import pytest

from tests.support.oauth import SECRET, Pkce, query_of

pytestmark = pytest.mark.django_db(transaction=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies, CSRF tokens and manual redirects: enough of a browser for the IdP's pages."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, url: str, data: dict | None = None, headers: dict | None = None):
        body = urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_code_flow_with_pkce_over_http(live_server, site, user, password):
    base = live_server.url
    meta = json.loads(urllib.request.urlopen(f"{base}/.well-known/openid-configuration").read())
    browser, pkce = Browser(), Pkce.new()
    authorize = (
        meta["authorization_endpoint"].replace("http://localhost:8000", base)
        + "?"
        + urlencode(
            {
                "client_id": "marketplace",
                "redirect_uri": site.redirect_uris[0],
                "response_type": "code",
                "scope": "openid email",
                "state": "xyz",
                "nonce": "n-1",
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            }
        )
    )

    status, headers, _ = browser.request(authorize)
    assert status == 302 and "/login/" in headers["Location"]
    login_url = base + headers["Location"]
    _, _, page = browser.request(login_url)
    status, headers, _ = browser.request(
        login_url,
        {"email": user.email, "password": password, "csrfmiddlewaretoken": csrf_token(page)},
        headers={"Referer": login_url},
    )
    assert status == 302
    status, _, consent_page = browser.request(base + headers["Location"])
    assert status == 200 and "Continue to Skills Marketplace" in consent_page
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent_page))
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    status, headers, _ = browser.request(
        f"{base}/oauth/authorize/", {**form, "decision": "allow"}, headers={"Referer": f"{base}/oauth/authorize/"}
    )
    assert status == 302 and headers["Location"].startswith(site.redirect_uris[0])
    callback = query_of(headers["Location"])
    assert callback["state"] == "xyz" and callback["iss"] == "http://localhost:8000"

    basic = base64.b64encode(f"marketplace:{SECRET}".encode()).decode()
    status, headers, body = Browser().request(
        f"{base}/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": site.redirect_uris[0],
            "code_verifier": pkce.verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200 and headers["Cache-Control"] == "no-store"
    tokens = json.loads(body)

    jwks = json.loads(urllib.request.urlopen(f"{base}/.well-known/jwks.json").read())
    header = jwt.get_unverified_header(tokens["id_token"])
    key = next(jwt.PyJWK(k).key for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        tokens["id_token"], key, algorithms=["RS256"], audience="marketplace", issuer="http://localhost:8000"
    )
    assert claims["nonce"] == "n-1" and claims["email"] == "ada@example.org"

    status, _, body = Browser().request(
        f"{base}/oauth/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert status == 200 and json.loads(body)["sub"] == claims["sub"]
