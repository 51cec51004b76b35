"""Two native apps of one vendor, played from the command line (Native SSO draft 07).

App 1 signs an account of the demo's own (native-demo@example.com, never the demo
user) in with a code flow and ``device_sso``; app 2 gets its own tokens by token
exchange with the shared ID token and device secret; then that account signs out
everywhere, which ends both. Runs against this IdP in-process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse

from accounts.conf import sso_settings
from accounts.management.commands.ensure_demo_user import demo_account
from accounts.oauth.registry import SiteRegistration, register_site

VENDOR = "demo-vendor"
NATIVE_DEMO_EMAIL = "native-demo@example.com"
APPS = (("demo-mail-app", "Demo Mail (native)"), ("demo-calendar-app", "Demo Calendar (native)"))
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


CREDENTIALS = {
    "access_token",
    "refresh_token",
    "id_token",
    "device_secret",
    "subject_token",
    "actor_token",
    "code",
    "code_verifier",
    "code_challenge",
    "state",
}


def shown(values: dict) -> str:
    """Tokens and secrets are printed shortened: a demo shows shapes, not credentials."""
    return json.dumps(
        {k: (str(v)[:12] + "…" if k in CREDENTIALS and v else v) for k, v in values.items()}, ensure_ascii=False
    )


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def step(self, title: str, request: dict, response) -> dict:
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n== {title}"))
        self.stdout.write("request:  " + shown(request))
        self.stdout.write(f"response: HTTP {response.status_code} " + shown(body))
        return body

    def post_form(self, client: Client, data: dict):
        return client.post(reverse("oauth:token"), urlencode(data), content_type="application/x-www-form-urlencoded")

    def handle(self, *args, **options):
        for client_id, name in APPS:
            register_site(
                SiteRegistration(
                    client_id=client_id,
                    name=name,
                    public=True,
                    first_party=True,
                    redirect_uris=[f"http://127.0.0.1:7999/{client_id}/callback"],
                    vendor_group=VENDOR,
                    native_sso=True,
                )
            )
        # An account of its own: signing out everywhere at the end must not sign the demo user out.
        account, password = demo_account(NATIVE_DEMO_EMAIL, "Native SSO Demo")
        self.stdout.write(f"Playing two native apps as {NATIVE_DEMO_EMAIL} (its sessions end at the end).")
        browser, backend = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
        if browser.post(reverse("accounts:login"), {"email": account.email, "password": password}).status_code != 302:
            raise CommandError(f"{NATIVE_DEMO_EMAIL} could not sign in (its password was changed?)")

        mail, calendar = APPS[0][0], APPS[1][0]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        authorize = {
            "client_id": mail,
            "redirect_uri": f"http://127.0.0.1:7999/{mail}/callback",
            "response_type": "code",
            "scope": "openid profile device_sso",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": secrets.token_urlsafe(8),
        }
        redirect = browser.get(reverse("oauth:authorize"), authorize)
        code = parse_qs(urlsplit(redirect["Location"]).query).get("code", [""])[0]
        self.step("App 1: authorization request (the user is signed in at the IdP)", authorize, redirect)
        exchange_code = {
            "grant_type": "authorization_code",
            "client_id": mail,
            "code": code,
            "redirect_uri": authorize["redirect_uri"],
            "code_verifier": verifier,
        }
        app1 = self.step(
            "App 1: code exchange -> device_secret, and ds_hash + sid in the ID token",
            exchange_code,
            self.post_form(backend, exchange_code),
        )
        if "device_secret" not in app1:
            raise CommandError("app 1 received no device secret")

        native = {
            "grant_type": TOKEN_EXCHANGE,
            "client_id": calendar,
            "audience": sso_settings().issuer,
            "subject_token": app1["id_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "actor_token": app1["device_secret"],
            "actor_token_type": "urn:openid:params:token-type:device-secret",
            "scope": "openid profile",
        }
        app2 = self.step(
            "App 2: token exchange with the shared ID token and device secret (no password)",
            native,
            self.post_form(backend, native),
        )
        if "access_token" not in app2:
            raise CommandError("app 2 did not get tokens")

        signed_out = browser.post(reverse("accounts:end_all_sessions"))
        self.step(
            f"{NATIVE_DEMO_EMAIL} signs out everywhere", {"POST": reverse("accounts:end_all_sessions")}, signed_out
        )
        self.step("App 2 again: the device secret died with the session", native, self.post_form(backend, native))
        refresh = {"grant_type": "refresh_token", "client_id": mail, "refresh_token": app1["refresh_token"]}
        self.step("App 1 refreshes: refused, the session has ended", refresh, self.post_form(backend, refresh))
