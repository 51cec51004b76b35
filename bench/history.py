"""A token history for the bench databases, so their planner statistics describe a
provider in service rather than a freshly created one.

With only the bench's own 16 refresh tokens in the tables when ``ANALYZE`` runs,
PostgreSQL plans every lookup on them, cached plans and foreign-key checks
included, as a sequential scan; the tables then grow by thousands of rows a
second and each scan gets slower, so a figure would measure how long the run
lasted. A real provider's token tables hold its users' rotated tokens. Both the
identity provider's database and the vanilla baseline's get the same history.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

TOKENS_PER_USER = 5
MAX_USERS = 2000  # enough rows for realistic plans; a million-user seed stays quick


def seed_rotated_tokens(user_ids: list) -> list[OutstandingToken]:
    """TOKENS_PER_USER expired, blacklisted refresh tokens per user; returns them."""
    now = timezone.now()
    outstanding = OutstandingToken.objects.bulk_create(
        [
            OutstandingToken(
                user_id=user_id,
                jti=uuid.uuid4().hex,
                token="sha256:" + uuid.uuid4().hex,
                created_at=now - timedelta(days=30),
                expires_at=now - timedelta(days=16),
            )
            for user_id in user_ids[:MAX_USERS]
            for _ in range(TOKENS_PER_USER)
        ],
        batch_size=5000,
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding], batch_size=5000)
    return outstanding
