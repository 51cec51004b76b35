"""`python -m bench.profile [N]`: where one refresh grant's time goes, in this process.

Runs N refreshes of one rotating chain through the whole WSGI application (every
middleware, client authentication, the statement, the signature, the JSON) against the
bench's database, under pyinstrument, and prints the call tree. gunicorn's own HTTP
parsing is what the bench's CPU per request has beyond this. Run it after `make bench`
(it needs the bench's database), with the bench's environment: ``python bench/run.py --profile``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from urllib.parse import urlencode

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso_project.settings")
django.setup()

from django.test import RequestFactory  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

from accounts.models import Consent, SSOSession, User  # noqa: E402
from accounts.oauth.issuance import issue_tokens  # noqa: E402
from accounts.oauth.registry import SiteRegistration, new_client_secret, register_site  # noqa: E402

FORM = "application/x-www-form-urlencoded"
SECRET = new_client_secret()


def first_refresh_token() -> str:
    """A chain of its own, for a site of its own registered as the bench's sites are."""
    site, _ = register_site(
        SiteRegistration(
            client_id="bench-profile", name="bench-profile", redirect_uris=["http://127.0.0.1/cb"], client_secret=SECRET
        )
    )
    user = User.objects.get_by_email("user0@bench.example")
    Consent.objects.get_or_create(user=user, site=site, defaults={"scopes": ["email", "openid", "profile"]})
    session = SSOSession.objects.create(user=user)
    return issue_tokens(site=site, sso_session=session, scopes=["openid", "email"], grant="bench").refresh_token


def refresher(secret: str):
    from sso_project.wsgi import application

    factory = RequestFactory(REMOTE_ADDR="127.0.0.1", SERVER_NAME="127.0.0.1")
    basic = "Basic " + base64.b64encode(f"bench-profile:{secret}".encode()).decode()

    def refresh(token: str) -> str:
        form = urlencode({"grant_type": "refresh_token", "refresh_token": token})
        # Django's RequestFactory makes the WSGI environ; the full application answers it.
        environ = factory.generic("POST", "/oauth/token/", form, FORM, HTTP_AUTHORIZATION=basic).environ
        status = []
        answer = b"".join(application(environ, lambda line, headers, exc_info=None: status.append(line)))
        if not status[0].startswith("200"):
            raise SystemExit(f"refresh failed: {status[0]} {answer[:200]!r}")
        return json.loads(answer)["refresh_token"]

    return refresh


def main(count: int) -> None:
    refresh = refresher(SECRET)
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
