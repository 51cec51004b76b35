"""Seeds the vanilla simplejwt baseline: users and one refresh token each, and the
same token history as the identity provider's bench database. Prints JSON."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.vanilla_settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from bench.history import MAX_USERS, seed_rotated_tokens  # noqa: E402

past = User.objects.bulk_create([User(username=f"past{i}") for i in range(MAX_USERS)])
seed_rotated_tokens([user.pk for user in past])
tokens = []
for i in range(int(sys.argv[1])):
    user, _ = User.objects.get_or_create(username=f"vanilla{i}")
    tokens.append(str(RefreshToken.for_user(user)))
json.dump({"refresh_tokens": tokens}, sys.stdout)
