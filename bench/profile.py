"""`python -m bench.profile [refresh|silent] [N]`: where one refresh grant's, or one silent
SSO flow's, time goes, in this process.

Both drive the whole production WSGI application (every middleware, client
authentication, the statements, the signatures, the JSON) against the bench's database;
gunicorn's own HTTP parsing is what the bench's CPU per request has beyond this. Run it
after `make bench` (it needs the bench's database), with the bench's environment:
``python bench/run.py --profile [silent]``.

* ``refresh``: N refreshes of one rotating chain under pyinstrument; prints the call tree.
* ``silent``: N silent SSO flows (an authorization request answered at once with a code,
  for a signed-in browser that consented before; the code redeemed with PKCE), and the CPU
  of each named part on the thread that ran it. A sampling profiler's shares count the
  waits for PostgreSQL and Redis (pyinstrument) or blur the signer thread into the
  request's (py-spy); ``time.thread_time`` around the parts does neither.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import json
import os
import re
import secrets
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

FORM = "application/x-www-form-urlencoded"
SECRET = new_client_secret()
CLIENT_ID, REDIRECT_URI = "bench-profile", "http://127.0.0.1/cb"
EMAIL, PASSWORD = "user0@bench.example", "benchmark passphrase 2026"  # bench/seed.py's first user


def profile_site():
    """A site of its own, registered as the bench's sites are, that the first user allowed."""
    site, _ = register_site(
        SiteRegistration(client_id=CLIENT_ID, name=CLIENT_ID, redirect_uris=[REDIRECT_URI], client_secret=SECRET)
    )
    user = User.objects.get_by_email(EMAIL)
    Consent.objects.get_or_create(user=user, site=site, defaults={"scopes": ["email", "openid", "profile"]})
    return site, user


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
        self.basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()

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

    def silent_sso(self) -> dict:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid email",
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
        request = self.factory.generic("POST", "/oauth/token/", urlencode(form), FORM, HTTP_AUTHORIZATION=self.basic)
        cookies, self.cookies = self.cookies, {}  # a partner's server calls the token endpoint, not the browser
        try:
            return json.loads(self.send(request, "200")[1])
        finally:
            self.cookies = cookies


def refresher():
    browser = Browser()

    def refresh(token: str) -> str:
        form = urlencode({"grant_type": "refresh_token", "refresh_token": token})
        request = browser.factory.generic("POST", "/oauth/token/", form, FORM, HTTP_AUTHORIZATION=browser.basic)
        return json.loads(browser.send(request, "200")[1])["refresh_token"]

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
    ("accounts.pii.keyring", "PIIKeyRing.decrypt", "every decryption of an e-mail address"),
)


def timed_parts(parts=SILENT_SSO_PARTS) -> tuple[Counter, Counter]:
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


def split_silent_sso(count: int) -> None:
    profile_site()
    seconds, calls = timed_parts()
    browser = Browser()
    browser.sign_in()
    for _ in range(50):  # warm: connections, caches, the key ring
        browser.silent_sso()
    seconds.clear()
    calls.clear()
    process, thread = time.process_time(), time.thread_time()
    for _ in range(count):
        browser.silent_sso()
    process, thread = time.process_time() - process, time.thread_time() - thread
    print(
        f"{count} silent SSO flows in process: {1e6 * process / count:,.0f} µs of CPU each, "
        f"{1e6 * thread / count:,.0f} µs of it on the request's thread\n"
    )
    print("CPU µs a flow  calls  part")
    for _, _, label in SILENT_SSO_PARTS:
        print(f"{1e6 * seconds[label] / count:>12,.0f}  {calls[label] / count:5.1f}  {label}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else "refresh"
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    {"refresh": profile_refreshes, "silent": split_silent_sso}[mode](numbers[0] if numbers else 500)
