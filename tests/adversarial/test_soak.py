"""A bounded soak on loopback: mixed sign-ins, code flows, refreshes, userinfo,
Native SSO token exchanges and logouts from many clients at once. Zero 5xx, no
lost writes, nothing usable after its logout, bounded memory."""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.oauth.registry import SiteRegistration, register_site
from tests.support.exchange import DEVICE_SECRET, ID_TOKEN, TOKEN_EXCHANGE
from tests.support.oauth import SECRET, Pkce

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CLIENTS, SECONDS = 8, 45


def native_sso(base: str, tokens: dict) -> requests.Response:
    """The vendor's second app joins the session with the first app's ID token and device secret."""
    return requests.post(
        f"{base}/oauth/token/",
        {
            "grant_type": TOKEN_EXCHANGE,
            "audience": base,
            "scope": "openid",
            "subject_token": tokens["id_token"],
            "subject_token_type": ID_TOKEN,
            "actor_token": tokens["device_secret"],
            "actor_token_type": DEVICE_SECRET,
        },
        auth=("soak-app", SECRET),
        timeout=30,
    )


def soak_client(base: str, email: str, password: str, site, stop_at: float, ledger: dict, lock: threading.Lock):
    while time.monotonic() < stop_at:
        http = requests.Session()
        page = http.get(f"{base}/login/", timeout=30)
        token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        responses = [
            page,
            http.post(
                f"{base}/login/",
                {"email": email, "password": password, "csrfmiddlewaretoken": token},
                allow_redirects=False,
                timeout=30,
            ),
        ]
        pkce = Pkce.new()
        authorize = http.get(
            f"{base}/oauth/authorize/?"
            + urlencode(
                {
                    "client_id": site.client_id,
                    "redirect_uri": site.redirect_uris[0],
                    "response_type": "code",
                    "scope": "openid email device_sso",
                    "code_challenge": pkce.challenge,
                    "code_challenge_method": "S256",
                }
            ),
            allow_redirects=False,
            timeout=30,
        )
        responses.append(authorize)
        code = parse_qs(urlsplit(authorize.headers.get("Location", "")).query).get("code", [""])[0]
        tokens = requests.post(
            f"{base}/oauth/token/",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": site.redirect_uris[0],
                "code_verifier": pkce.verifier,
            },
            auth=(site.client_id, SECRET),
            timeout=30,
        )
        responses.append(tokens)
        issued = [tokens.json().get("refresh_token")] if tokens.ok else []
        joined = native_sso(base, tokens.json()) if tokens.ok else None
        responses += [joined] if joined is not None else []
        second_app = [joined.json()["refresh_token"]] if joined is not None and joined.ok else []
        for _ in range(5):
            if not issued or time.monotonic() >= stop_at:
                break
            rotated = requests.post(
                f"{base}/oauth/token/",
                {"grant_type": "refresh_token", "refresh_token": issued[-1]},
                auth=(site.client_id, SECRET),
                timeout=30,
            )
            responses.append(rotated)
            if rotated.ok:
                issued.append(rotated.json()["refresh_token"])
                responses.append(
                    requests.get(
                        f"{base}/oauth/userinfo/",
                        timeout=30,
                        headers={"Authorization": f"Bearer {rotated.json()['access_token']}"},
                    )
                )
        responses.append(
            http.post(
                f"{base}/logout/",
                {"csrfmiddlewaretoken": http.cookies.get("csrftoken", "")},
                headers={"Referer": f"{base}/account/"},
                timeout=30,
            )
        )
        # Both apps' latest refresh tokens and the device secret: all dead now.
        latest = ([(issued[-1], site.client_id)] if issued else []) + [(token, "soak-app") for token in second_app]
        after_logout = [
            requests.post(
                f"{base}/oauth/token/",
                {"grant_type": "refresh_token", "refresh_token": token},
                auth=(client_id, SECRET),
                timeout=30,
            )
            for token, client_id in latest
        ]
        if tokens.ok:
            after_logout.append(native_sso(base, tokens.json()))
        responses += after_logout
        with lock:
            ledger["checked_after_logout"] += len(after_logout)
            ledger["revived"] += sum(response.ok for response in after_logout)
            for response in responses:
                ledger["statuses"][response.status_code] = ledger["statuses"].get(response.status_code, 0) + 1
            ledger["refresh_jtis"].update(
                jwt.decode(t, options={"verify_signature": False})["jti"] for t in issued + second_app if t
            )


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


def test_bounded_mixed_soak(live_server, settings, make_user, password):
    settings.SSO = {**settings.SSO, "ISSUER": live_server.url}
    settings.AXES_FAILURE_LIMIT = 1000  # many sign-ins from one loopback address are the point here
    site, _ = register_site(
        SiteRegistration(
            client_id="soak",
            name="Soak",
            client_secret=SECRET,
            first_party=True,
            redirect_uris=["http://127.0.0.1:9/soak/cb"],
            vendor_group="soak",
            native_sso=True,
        )
    )
    register_site(
        SiteRegistration(
            client_id="soak-app",
            name="Soak app",
            client_secret=SECRET,
            first_party=True,
            redirect_uris=["http://127.0.0.1:9/soak-app/cb"],
            vendor_group="soak",
            native_sso=True,
        )
    )
    users = [make_user(f"soak{i}@example.org") for i in range(CLIENTS)]
    ledger, lock = {"statuses": {}, "refresh_jtis": set(), "checked_after_logout": 0, "revived": 0}, threading.Lock()
    stop_at = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=soak_client, args=(live_server.url, u.email, password, site, stop_at, ledger, lock))
        for u in users
    ]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS / 2)
    rss_halfway = rss_mb()  # warm: caches, connections and Argon2 buffers in use
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    rss_end = rss_mb()

    statuses = ledger["statuses"]
    print(
        json.dumps(
            {
                "statuses": statuses,
                "refresh_tokens": len(ledger["refresh_jtis"]),
                "checked_after_logout": ledger["checked_after_logout"],
                "revived": ledger["revived"],
                "rss_halfway_mb": round(rss_halfway),
                "rss_end_mb": round(rss_end),
            }
        )
    )
    assert not any(status >= 500 for status in statuses), statuses
    assert sum(statuses.values()) > 100, "the soak made too few requests to mean anything"
    assert ledger["checked_after_logout"] >= 3 * CLIENTS and ledger["revived"] == 0  # nothing outlived its logout
    stored = set(OutstandingToken.objects.values_list("jti", flat=True))
    assert ledger["refresh_jtis"] <= stored  # every refresh token handed out is accounted for
    # Argon2 buffers (19 MiB per concurrent sign-in) come and go; the second half must not keep growing.
    assert rss_end < rss_halfway + 96, (rss_halfway, rss_end)
