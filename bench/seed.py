"""Seeds the benchmark database: users with encrypted PII, partner sites, consents,
and one SSO session + refresh token per refresh client. Prints JSON for run.py."""

from __future__ import annotations

import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso_project.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Consent, RefreshTokenRecord, SSOSession, User  # noqa: E402
from accounts.oauth.issuance import issue_tokens  # noqa: E402
from accounts.oauth.registry import SiteRegistration, new_client_secret, register_site  # noqa: E402
from accounts.pii.blind_index import email_index  # noqa: E402
from bench import history  # noqa: E402

PASSWORD = "benchmark passphrase 2026"
SECRET = new_client_secret()  # handed to the load generator in the seed's output
BATCH = 5000


def seed_users(scale: int) -> float:
    """Bulk users sharing one real Argon2id hash: login cost is the verification, not the seeding."""
    started = time.monotonic()
    existing = User.objects.count()
    password_hash = make_password(PASSWORD)
    for start in range(existing, scale, BATCH):
        users = []
        for i in range(start, min(start + BATCH, scale)):
            email = f"user{i}@bench.example"
            users.append(
                User(email=email, name=f"Bench User {i}", email_index=email_index(email), password=password_hash)
            )
        User.objects.bulk_create(users)
    return time.monotonic() - started


def seed_history(site) -> None:
    """Ended sign-in sessions with their rotated refresh tokens (see bench/history.py)."""
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True)[: history.MAX_USERS])
    ended = timezone.now()
    sessions = SSOSession.objects.bulk_create(
        [SSOSession(user_id=pk, ended_at=ended, end_reason="logout") for pk in user_ids], batch_size=5000
    )
    session_of = {session.user_id: session.pk for session in sessions}
    RefreshTokenRecord.objects.bulk_create(
        [
            RefreshTokenRecord(
                outstanding=token,
                sso_session_id=session_of[token.user_id],
                site=site,
                scope="openid email",
                rotated_at=ended,
            )
            for token in history.seed_rotated_tokens(user_ids)
        ],
        batch_size=5000,
    )


def main(scale: int, refresh_clients: int, base_url: str) -> None:
    seed_seconds = seed_users(scale)
    sites = {}
    for client_id, extra in (
        ("bench-web", {}),
        ("bench-app-1", {"public": False, "vendor_group": "bench", "native_sso": True, "first_party": True}),
        ("bench-app-2", {"public": False, "vendor_group": "bench", "native_sso": True, "first_party": True}),
    ):
        site, _ = register_site(
            SiteRegistration(
                client_id=client_id,
                name=client_id,
                redirect_uris=[f"{base_url}/{client_id}/cb"],
                client_secret=SECRET,
                **extra,
            )
        )
        sites[client_id] = site
    seed_history(sites["bench-web"])
    refresh_tokens = []
    with transaction.atomic():
        for i in range(refresh_clients):
            user = User.objects.get_by_email(f"user{i}@bench.example")
            Consent.objects.get_or_create(
                user=user, site=sites["bench-web"], defaults={"scopes": ["email", "openid", "profile"]}
            )
            session = SSOSession.objects.create(user=user)
            issued = issue_tokens(
                site=sites["bench-web"], sso_session=session, scopes=["openid", "email"], grant="bench"
            )
            refresh_tokens.append(issued.refresh_token)
    json.dump(
        {
            "seed_seconds": round(seed_seconds, 1),
            "users": User.objects.count(),
            "password": PASSWORD,
            "secret": SECRET,
            "refresh_tokens": refresh_tokens,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
