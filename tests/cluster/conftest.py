"""The cluster (tests/support/cluster.py) is started once per test session, the
first time a test asks for it, and stopped at the end."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from tests.support.cluster import Cluster
from tests.support.partners import PartnerProcess

APP_REDIRECT = "https://app.cluster.test/callback"
PASSWORD = "correct horse battery staple 42"


def _with_suffix(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + suffix))


def _other_redis_db(url: str) -> str:
    """The Redis server of the tests, a database of the cluster's own: the tests clear theirs
    before each test, which must not sign the cluster's users out."""
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 3) % 16}"))


@dataclass
class App:
    client_id: str
    secret: str


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, smtp_server):
    running = Cluster(
        tmp_path_factory.mktemp("cluster"),
        database_url=_with_suffix(os.environ["DATABASE_URL"], "_cluster"),
        redis_url=_other_redis_db(os.environ["REDIS_URL"]),
        smtp_port=smtp_server.port,
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def cluster_app(cluster) -> App:
    """A confidential, first-party site doing the code flow (no consent screen to click)."""
    out = cluster.manage(
        "register_site",
        "--client-id=cluster-app",
        "--name=Cluster App",
        f"--redirect-uri={APP_REDIRECT}",
        "--first-party",
        "--scope=openid profile email offline_access",
    )
    registered = json.loads(out)
    return App(registered["client_id"], registered["client_secret"])


@pytest.fixture(scope="session")
def cluster_users(cluster):
    """Accounts made in the cluster's database, by e-mail address: ``cluster_users(n)``."""
    made: list[str] = []

    def make(count: int) -> list[str]:
        emails = [f"cluster-{secrets.token_hex(4)}@example.org" for _ in range(count)]
        cluster.manage(
            "shell",
            "-c",
            "from accounts.models import User\n"
            f"for email in {emails!r}: User.objects.create_user(email, {PASSWORD!r}, name='Cluster User')",
        )
        made.extend(emails)
        return emails

    return make


@pytest.fixture(scope="session")
def cluster_marketplace(cluster, tmp_path_factory):
    """The marketplace demo on a loopback host of its own, signing in through the load balancer."""
    partner = PartnerProcess(
        "marketplace",
        name="Skills Marketplace",
        host="127.0.0.3",
        catalogue="skills",
        issuer=cluster.url,
        workdir=tmp_path_factory.mktemp("cluster-marketplace"),
        # It trusts the load balancer's CA, and answers on a host of its own.
        extra_env={"REQUESTS_CA_BUNDLE": str(cluster.ca), "DJANGO_ALLOWED_HOSTS": "127.0.0.3"},
    )
    site = partner.registration()
    out = cluster.manage(
        "register_site",
        f"--client-id={site.client_id}",
        f"--name={site.name}",
        *[f"--redirect-uri={uri}" for uri in site.redirect_uris],
        *[f"--post-logout-redirect-uri={uri}" for uri in site.post_logout_redirect_uris],
        f"--backchannel-logout-uri={site.backchannel_logout_uri}",
    )
    partner.secret = json.loads(out)["client_secret"]
    partner.start()
    yield partner
    partner.stop()


class CodeFlow:
    """An OAuth client of the cluster: PKCE code flow, refresh, userinfo, each on a node chosen by the test."""

    def __init__(self, cluster: Cluster, app: App):
        self.cluster, self.app = cluster, app
        self.http = cluster.client()

    def authorize(self, browser, base: str) -> str:
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        response = browser.get(
            f"{base}/oauth/authorize/",
            params={
                "client_id": self.app.client_id,
                "redirect_uri": APP_REDIRECT,
                "response_type": "code",
                "scope": "openid email offline_access",
                "state": secrets.token_urlsafe(16),
                "nonce": secrets.token_urlsafe(16),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        assert location.startswith(APP_REDIRECT), location
        return parse_qs(urlsplit(location).query)["code"][0]

    def token(self, base: str, **form):
        return self.http.post(f"{base}/oauth/token/", data=form, auth=(self.app.client_id, self.app.secret), timeout=10)

    def exchange(self, code: str, base: str):
        return self.token(
            base, grant_type="authorization_code", code=code, redirect_uri=APP_REDIRECT, code_verifier=self.verifier
        )

    def refresh(self, refresh_token: str, base: str):
        return self.token(base, grant_type="refresh_token", refresh_token=refresh_token)

    def userinfo(self, access_token: str, base: str):
        return self.http.get(f"{base}/oauth/userinfo/", headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


@pytest.fixture
def code_flow(cluster, cluster_app) -> CodeFlow:
    return CodeFlow(cluster, cluster_app)
