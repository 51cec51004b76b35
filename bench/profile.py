"""`python -m bench.profile [refresh|silent|native|tree] [N]`: where one refresh grant's, one
silent SSO flow's or one Native SSO exchange's time goes, in this process.

All drive the whole production WSGI application (every middleware, client
authentication, the statements, the signatures, the JSON) against the bench's database;
gunicorn's own HTTP parsing is what the bench's CPU per request has beyond this. Run it
after `make bench` (it needs the bench's database), with the bench's environment:
``python bench/run.py --profile [refresh|silent|native|tree]``.

* ``refresh``: N refreshes of one rotating chain, and the CPU of each named part on the
  thread that ran it. A sampling profiler's shares count the waits for PostgreSQL and
  Redis (pyinstrument) or blur the signer thread into the request's (py-spy);
  ``time.thread_time`` around the parts does neither.
* ``silent``: the same split for N silent SSO flows (an authorization request answered at
  once with a code, for a signed-in browser that consented before; the code redeemed with
  PKCE).
* ``native``: the same split for N Native SSO exchanges (a second app of the vendor trading
  the first app's ID token and device secret for tokens of its own).
* ``tree``: N refreshes under pyinstrument; prints the call tree.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import os
import re
import sys
import time
from collections import Counter
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso_project.settings")
django.setup()

from django.test import RequestFactory  # noqa: E402

from accounts.models import Consent, SSOSession, User  # noqa: E402
from accounts.oauth.issuance import issue_tokens  # noqa: E402
from accounts.oauth.registry import SiteRegistration, new_client_secret, register_site  # noqa: E402
from bench.run import pkce  # noqa: E402

FORM = "application/x-www-form-urlencoded"
SECRET = new_client_secret()
CLIENT_ID, REDIRECT_URI = "bench-profile", "http://127.0.0.1/cb"
NATIVE_APPS = ("bench-profile-app-1", "bench-profile-app-2")  # one vendor's two apps
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
EMAIL, PASSWORD = "user0@bench.example", "benchmark passphrase 2026"  # bench/seed.py's first user


def profile_site():
    """A site of its own, registered as the bench's sites are, that the first user allowed."""
    site, _ = register_site(
        SiteRegistration(client_id=CLIENT_ID, name=CLIENT_ID, redirect_uris=[REDIRECT_URI], client_secret=SECRET)
    )
    user = User.objects.get_by_email(EMAIL)
    Consent.objects.get_or_create(user=user, site=site, defaults={"scopes": ["email", "openid", "profile"]})
    return site, user


def native_apps() -> None:
    """Two apps of one vendor, as the bench's bench-app-1 and bench-app-2."""
    for client_id in NATIVE_APPS:
        register_site(
            SiteRegistration(
                client_id=client_id,
                name=client_id,
                redirect_uris=[REDIRECT_URI],
                client_secret=SECRET,
                vendor_group="bench-profile",
                native_sso=True,
                first_party=True,
            )
        )


def first_refresh_token() -> str:
    site, user = profile_site()
    session = SSOSession.objects.create(user=user)
    return issue_tokens(site=site, sso_session=session, scopes=["openid", "email"], grant="bench").refresh_token


class Browser:
    """Requests through the production application, with the cookies it set."""

    def __init__(self):
        from sso_project.wsgi import application

        self.application = application
        self.factory = RequestFactory(REMOTE_ADDR="127.0.0.1", SERVER_NAME="127.0.0.1")
        self.cookies: dict[str, str] = {}

    def send(self, request, expected: str) -> tuple[dict[str, str], bytes]:
        environ = request.environ
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        status, headers = [], []

        def start_response(line, response_headers, exc_info=None):
            status.append(line)
            headers.extend(response_headers)

        body = b"".join(self.application(environ, start_response))
        if not status[0].startswith(expected):
            raise SystemExit(f"{environ['PATH_INFO']}: {status[0]} {body[:200]!r}")
        for name, value in headers:
            if name.lower() == "set-cookie":
                self.cookies.update({key: morsel.value for key, morsel in SimpleCookie(value).items()})
        return dict(headers), body

    def sign_in(self) -> None:
        _, page = self.send(self.factory.get("/login/"), "200")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"email": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token})
        self.send(self.factory.post("/login/", form, FORM), "302")

    def token(self, client_id: str, form: dict) -> dict:
        """A partner's server at the token endpoint: its own credentials, not the browser's cookies."""
        basic = "Basic " + base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
        request = self.factory.generic("POST", "/oauth/token/", urlencode(form), FORM, HTTP_AUTHORIZATION=basic)
        cookies, self.cookies = self.cookies, {}
        try:
            return json.loads(self.send(request, "200")[1])
        finally:
            self.cookies = cookies

    def silent_sso(self, client_id: str = CLIENT_ID, scope: str = "openid email") -> dict:
        verifier, challenge = pkce()
        query = {
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": scope,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        }
        headers, _ = self.send(self.factory.get("/oauth/authorize/?" + urlencode(query)), "302")
        code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        return self.token(client_id, form)

    def native_sso_exchange(self, first: dict) -> dict:
        """The second app's exchange of the first app's ID token and device secret."""
        form = {
            "grant_type": TOKEN_EXCHANGE,
            "audience": os.environ["SSO_ISSUER"],
            "scope": "openid",
            "subject_token": first["id_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "actor_token": first["device_secret"],
            "actor_token_type": "urn:openid:params:token-type:device-secret",
        }
        return self.token(NATIVE_APPS[1], form)


def refresher():
    browser = Browser()

    def refresh(token: str) -> str:
        return browser.token(CLIENT_ID, {"grant_type": "refresh_token", "refresh_token": token})["refresh_token"]

    return refresh


def profile_refreshes(count: int) -> None:
    from pyinstrument import Profiler

    refresh = refresher()
    token = first_refresh_token()
    for _ in range(50):  # warm: connections, caches, the key ring
        token = refresh(token)
    profiler = Profiler(interval=0.0002)
    started = time.perf_counter()
    profiler.start()
    for _ in range(count):
        token = refresh(token)
    profiler.stop()
    elapsed = time.perf_counter() - started
    print(f"{count} refreshes, {1000 * elapsed / count:.2f} ms each in process (profiler on)")
    print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))


# The parts of a refresh: (module, attribute, label). An indented label is inside the part
# above it; the signer thread's part overlaps the request thread's wait for the statement.
REFRESH_PARTS = (
    ("django.core.handlers.wsgi", "WSGIHandler.__call__", "the request in Django's handler"),
    ("django.core.handlers.base", "BaseHandler.resolve_request", "  the URL resolution"),
    ("rest_framework.views", "APIView.dispatch", "  DRF's dispatch, with the view"),
    ("accounts.oauth.token_endpoint", "OAuthFormParser.parse", "    the form's parse (RFC 6749 3.2)"),
    ("accounts.oauth.token_endpoint", "authenticate_client", "    client authentication (RFC 6749 2.3)"),
    ("accounts.oauth.token_endpoint", "network_id", "    the reduced network id"),
    ("accounts.oauth.token_endpoint", "dispatch_grant", "    the refresh grant (RFC 6749 6)"),
    ("accounts.oauth.grants.refresh_token", "SSORefreshToken", "      the presented token: MAC and claims"),
    ("accounts.oauth.issuance", "_mint", "      the claims and the new refresh token's MAC"),
    ("accounts.store.postgresql", "OneStatementStore.rotate_refresh_token", "      the rotation: one statement"),
    ("accounts.oauth.token_endpoint", "oauth_json", "    the JSON answer"),
    ("accounts.oauth.token_endpoint", "metrics.count_grant", "    the grant counted (metrics)"),
    ("accounts.oauth.signing_ahead", "_sign", "the access token's RS256 signature, signer thread"),
)


# The parts of a silent SSO flow: (module, attribute, label). An indented label is inside
# the part above it; the signer thread's part overlaps the request thread's wait.
SILENT_SSO_PARTS = (
    ("django.core.handlers.wsgi", "WSGIHandler.__call__", "both requests in Django's handler"),
    ("django.contrib.auth", "get_user", "authorize: the browser's user, Django's get_user"),
    ("accounts.session_engines.cache", "SessionStore.load", "  its session, from Redis"),
    ("django.contrib.auth.backends", "ModelBackend.get_user", "  its user row, through the ORM"),
    ("accounts.middleware", "live_sso_session", "authorize: the live SSO session, a joined read"),
    ("accounts.oauth.views", "_authorize", "authorize: the view's checks and redirect"),
    ("accounts.oauth.views", "issue_code_if_consented", "  consent, site link and code: one statement"),
    ("accounts.oauth.token_endpoint", "TokenView.post", "token: the endpoint, from the parsed request"),
    ("accounts.oauth.grants.authorization_code", "_CODE_BY_HASH.fetch_related", "  code, session, user: a joined read"),
    ("accounts.oauth.grants.authorization_code", "issue_tokens", "  issuing the tokens"),
    ("accounts.oauth.issuance", "_mint", "    the claims and the refresh token's MAC"),
    (
        "accounts.store.postgresql",
        "OneStatementStore.record_issuance",
        "    the code claimed, tokens recorded: 1 statement",
    ),
    ("accounts.oauth.signing_ahead", "_sign", "the ID and access tokens' signatures, signer thread"),
    ("accounts.pii.keyring", "PIIKeyRing.decrypt", "every decryption of an address or a name"),
)


NATIVE_SSO_PARTS = (
    ("django.core.handlers.wsgi", "WSGIHandler.__call__", "the request in Django's handler"),
    ("accounts.oauth.token_endpoint", "TokenView.post", "the endpoint, from the parsed request"),
    ("accounts.oauth.token_endpoint", "dispatch_grant", "  the exchange (OpenID Native SSO section 4.3)"),
    ("tokenexchange.profiles", "ExchangeRequest.parse", "    the RFC 8693 request's parameters"),
    ("tokenexchange.profiles.native_sso", "live_device_secret", "    device secret, session, user: a joined read"),
    ("tokenexchange.profiles.native_sso", "read_id_token_hint", "    the ID token's signature and claims verified"),
    ("tokenexchange.profiles.native_sso", "active_site", "    the first app's registration"),
    ("tokenexchange.profiles.native_sso", "needs_consent_for", "    the consent"),
    ("tokenexchange.profiles.native_sso", "issue_tokens", "    issuing the tokens"),
    ("accounts.oauth.issuance", "_mint", "      the claims and the refresh token's MAC"),
    ("accounts.store.postgresql", "OneStatementStore.record_issuance", "      the tokens recorded: 1 statement"),
    ("accounts.oauth.signing_ahead", "_sign", "the ID and access tokens' signatures, signer thread"),
)


def timed_parts(parts) -> tuple[Counter, Counter]:
    """Wraps each part to add its thread's CPU seconds and its calls to the two counters."""
    seconds, calls = Counter(), Counter()
    for module_name, attribute, label in parts:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for step in path:
            owner = getattr(owner, step)
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_label] += time.thread_time() - started
                calls[_label] += 1

        setattr(owner, name, timed)
    return seconds, calls


def split(what: str, parts: tuple, flow, count: int) -> None:
    """Runs ``flow`` ``count`` times and prints the CPU of each of ``parts`` a flow."""
    seconds, calls = timed_parts(parts)
    for _ in range(50):  # warm: connections, caches, the key ring
        flow()
    seconds.clear()
    calls.clear()
    process, thread = time.process_time(), time.thread_time()
    for _ in range(count):
        flow()
    process, thread = time.process_time() - process, time.thread_time() - thread
    print(
        f"{count} {what} in process: {1e6 * process / count:,.0f} µs of CPU each, "
        f"{1e6 * thread / count:,.0f} µs of it on the request's thread\n"
    )
    print("CPU µs a flow  calls  part")
    for _, _, label in parts:
        print(f"{1e6 * seconds[label] / count:>12,.0f}  {calls[label] / count:5.1f}  {label}")


def split_refresh(count: int) -> None:
    refresh, token = refresher(), first_refresh_token()

    def flow() -> None:
        nonlocal token
        token = refresh(token)

    split("refreshes", REFRESH_PARTS, flow, count)


def split_silent_sso(count: int) -> None:
    profile_site()
    browser = Browser()
    browser.sign_in()
    split("silent SSO flows", SILENT_SSO_PARTS, browser.silent_sso, count)


def split_native_sso(count: int) -> None:
    native_apps()
    browser = Browser()
    browser.sign_in()
    first = browser.silent_sso(NATIVE_APPS[0], "openid device_sso")
    split("Native SSO exchanges", NATIVE_SSO_PARTS, lambda: browser.native_sso_exchange(first), count)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else "refresh"
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    modes = {
        "refresh": split_refresh,
        "silent": split_silent_sso,
        "native": split_native_sso,
        "tree": profile_refreshes,
    }
    if mode not in modes:
        raise SystemExit(f"usage: python -m bench.profile [{'|'.join(modes)}] [N]")
    modes[mode](numbers[0] if numbers else 500)
