"""Partner sites run as real processes (the same code as `make demo`), on their
own loopback hosts, against the IdP live server of the test."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from accounts.oauth.registry import SiteRegistration, new_client_secret, register_site

ROOT = Path(__file__).resolve().parents[2]


def free_port_on(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class PartnerProcess:
    client_id: str
    name: str
    host: str
    catalogue: str
    issuer: str
    workdir: Path
    subject_type: str = "public"
    secret: str = field(default_factory=new_client_secret)
    port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def __post_init__(self):
        # Chosen now, not at start: the registration names the site's URLs.
        self.port = self.port or free_port_on(self.host)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "marketplace_demo.settings",
            "SSO_ISSUER": self.issuer,
            "PARTNER_CLIENT_ID": self.client_id,
            "PARTNER_CLIENT_SECRET": self.secret,
            "PARTNER_NAME": self.name,
            "PARTNER_CATALOGUE": self.catalogue,
            "PARTNER_BASE_URL": self.url,
            "PARTNER_DATABASE_URL": f"sqlite:///{self.workdir / (self.client_id + '.sqlite3')}",
            "PARTNER_SECRET_KEY": "partner-test-secret-key-" + self.client_id,
            "PARTNER_TOKEN_KEY": "partner-test-token-key-" + self.client_id,
            "DJANGO_DEBUG": "true",
            "DJANGO_DEBUG_PAGES": "false",  # as in the demo: the site's own error pages
            **self.extra_env,
        }

    def local_account(self, sub: str) -> tuple[int, int]:
        """(installations, signed-in sessions) the site keeps under ``sub``, read from its database."""
        with sqlite3.connect(self.workdir / f"{self.client_id}.sqlite3") as db:
            installs = db.execute("SELECT count(*) FROM marketplace_demo_installation WHERE sub = ?", [sub]).fetchone()
            sessions = db.execute("SELECT count(*) FROM marketplace_demo_signedinsession WHERE sub = ?", [sub])
            return installs[0], sessions.fetchone()[0]

    def registration(self) -> SiteRegistration:
        return SiteRegistration(
            client_id=self.client_id,
            name=self.name,
            redirect_uris=[f"{self.url}/oidc/callback/"],
            post_logout_redirect_uris=[f"{self.url}/signed-out/"],
            backchannel_logout_uri=f"{self.url}/oidc/backchannel-logout/",
            security_event_uri=f"{self.url}/oidc/security-events/",
            account_disabled_events=True,
            client_secret=self.secret,
            subject_type=self.subject_type,
        )

    def register(self):
        site, _ = register_site(self.registration())
        return site

    def start(self) -> "PartnerProcess":
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            timeout=120,
        )
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"{self.host}:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/theme.css", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"partner site {self.client_id} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
