#!/usr/bin/env python
"""`make demo`: the identity provider, two partner sites and the back-channel
logout worker, on the embedded SQLite default, until Ctrl-C.

A second run reuses the databases, keys and registrations of the first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IDP = "http://localhost:8000"
MAILBOX = ROOT / ".demo-mail"
PARTNERS = [
    {
        "PARTNER_CLIENT_ID": "marketplace",
        "PARTNER_NAME": "Skills Marketplace",
        "PARTNER_CATALOGUE": "skills",
        "PARTNER_COLOR": "#2952cc",
        "PARTNER_BASE_URL": "http://127.0.0.1:8001",
        "subject_type": "public",
    },
    {
        "PARTNER_CLIENT_ID": "languages",
        "PARTNER_NAME": "Languages Hub",
        "PARTNER_CATALOGUE": "languages",
        "PARTNER_COLOR": "#1e7b34",
        "PARTNER_BASE_URL": "http://127.0.0.2:8002",
        "subject_type": "pairwise",
    },
]


def manage(*args: str, env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        text=True,
        capture_output=capture,
    )
    return result.stdout if capture else ""


def partner_env(partner: dict) -> dict:
    env = {k: v for k, v in partner.items() if k.startswith("PARTNER_")}
    return {**env, "DJANGO_SETTINGS_MODULE": "marketplace_demo.settings", "SSO_ISSUER": IDP}


def secret_file(client_id: str) -> Path:
    return ROOT / ".keys" / f"partner-{client_id}-client-secret"


def keep_client_secret(client_id: str, secret: str) -> None:
    """The secret the IdP generated for a partner, where the partner's settings read it."""
    sys.path.insert(0, str(ROOT))
    from sso_project.keys import KeySource

    path = secret_file(client_id)
    path.unlink(missing_ok=True)
    KeySource._write_private(path, secret + "\n")


def set_up() -> None:
    os.environ.pop("DATABASE_URL", None)  # the demo always runs on the embedded SQLite default
    os.environ.setdefault("DJANGO_DEBUG", "true")  # production is the default; the demo is development
    os.environ.setdefault("DJANGO_DEBUG_PAGES", "false")  # ...with the product's own error pages
    # No mail server needed: messages are printed and kept for the mailbox page (accounts.mail.demo).
    os.environ.setdefault("EMAIL_URL", f"demo://{MAILBOX}")
    # The demo admin signs in with a password alone; everywhere else staff need a second factor.
    os.environ.setdefault("ADMIN_REQUIRE_MFA", "false")
    manage("migrate", "--noinput", "-v0")
    credentials = manage("ensure_demo_user", capture=True)
    for partner in PARTNERS:
        base, client_id = partner["PARTNER_BASE_URL"], partner["PARTNER_CLIENT_ID"]
        # The IdP generates each partner's secret (and a new one if the partner's copy is gone).
        new_secret = [] if secret_file(client_id).exists() else ["--new-client-secret"]
        out = manage(
            "register_site",
            "--client-id",
            client_id,
            "--name",
            partner["PARTNER_NAME"],
            "--redirect-uri",
            f"{base}/oidc/callback/",
            "--post-logout-redirect-uri",
            f"{base}/signed-out/",
            "--backchannel-logout-uri",
            f"{base}/oidc/backchannel-logout/",
            "--security-event-uri",
            f"{base}/oidc/security-events/",
            "--account-disabled",
            "--subject-type",
            partner["subject_type"],
            *new_secret,
            capture=True,
        )
        generated = json.loads(out).get("client_secret")
        if generated:
            keep_client_secret(client_id, generated)
        manage("migrate", "--noinput", "-v0", env=partner_env(partner))
    return credentials


def wait_until_answering(urls: list[str], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    waiting = list(urls)
    while waiting and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(waiting[0], timeout=2).close()
            waiting.pop(0)
        except urllib.error.HTTPError:
            waiting.pop(0)  # it answers
        except OSError:
            time.sleep(0.3)
    return not waiting


def main() -> None:
    credentials = set_up()
    processes = [
        subprocess.Popen([PYTHON, "manage.py", "runserver", "localhost:8000", "--noreload"], cwd=ROOT),
        subprocess.Popen([PYTHON, "manage.py", "deliver_logouts", "--loop"], cwd=ROOT),
    ]
    for partner in PARTNERS:
        host_port = partner["PARTNER_BASE_URL"].removeprefix("http://")
        processes.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "runserver", host_port, "--noreload"],
                cwd=ROOT,
                env={**os.environ, **partner_env(partner)},
            )
        )
    # Printed once every server answers, so the server logs do not scroll them away.
    urls = [f"{IDP}/login/", *(partner["PARTNER_BASE_URL"] + "/" for partner in PARTNERS)]
    ready = wait_until_answering(urls)
    print("\n" + "=" * 72)
    print(f"Identity provider: {IDP}  (admin console: {IDP}/admin/, the demo's mail: {IDP}/demo/mail/)")
    for partner in PARTNERS:
        print(f"{partner['PARTNER_NAME']}: {partner['PARTNER_BASE_URL']}")
    print(credentials, end="")
    print(
        ("All servers answer." if ready else "Some server did not answer yet; see the log above.")
        + " Ctrl-C stops everything."
    )
    print("=" * 72 + "\n", flush=True)

    def stop(*_):
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    print("a demo process stopped unexpectedly; stopping the others", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
