"""Bench-only: a plain djangorestframework-simplejwt TokenRefreshView with rotation and
blacklist, RS256, on PostgreSQL, to measure the baseline in the same run."""

from __future__ import annotations

import os
from pathlib import Path

from sso_project.env import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ["VANILLA_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.vanilla_urls"
DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"], BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": []}
_private = Path(os.environ["VANILLA_PRIVATE_KEY"]).read_text()
_public = Path(os.environ["VANILLA_PUBLIC_KEY"]).read_text()
SIMPLE_JWT = {
    "ALGORITHM": os.environ.get("VANILLA_ALGORITHM", "RS256"),
    "SIGNING_KEY": _private if os.environ.get("VANILLA_ALGORITHM", "RS256") != "HS256" else SECRET_KEY,
    "VERIFYING_KEY": _public if os.environ.get("VANILLA_ALGORITHM", "RS256") != "HS256" else "",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
}
