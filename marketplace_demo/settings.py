"""Settings of a partner site (OpenID Connect relying party).

The same code runs the "marketplace" and the "languages" site; which one is
configuration only (PARTNER_* variables, see README "Partner sites").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sso_project.env import ConfigError, database_from_url, env_bool, env_list
from sso_project.keys import KeySource

BASE_DIR = Path(__file__).resolve().parent.parent

PARTNER = {
    "NAME": os.environ.get("PARTNER_NAME", "Skills Marketplace"),
    "CATALOGUE": os.environ.get("PARTNER_CATALOGUE", "skills"),
    "COLOR": os.environ.get("PARTNER_COLOR", "#2952cc"),
    "BASE_URL": os.environ.get("PARTNER_BASE_URL", "http://127.0.0.1:8001").rstrip("/"),
    "CLIENT_ID": os.environ.get("PARTNER_CLIENT_ID", "marketplace"),
    "ISSUER": os.environ.get("SSO_ISSUER", "http://localhost:8000").rstrip("/"),
    "SCOPES": os.environ.get("PARTNER_SCOPES", "openid email profile"),
}
slug = PARTNER["CLIENT_ID"]

try:
    DEVELOPMENT = env_bool("DJANGO_DEBUG", False)  # production unless development is asked for
    DEBUG = DEVELOPMENT and env_bool("DJANGO_DEBUG_PAGES", True)  # as the IdP's settings
    keys = KeySource(Path(os.environ.get("SSO_KEY_DIR", BASE_DIR / ".keys")), generate_missing=DEVELOPMENT)
    SECRET_KEY = keys.secret("PARTNER_SECRET_KEY", f"partner-{slug}-secret-key", nbytes=48)
    PARTNER["CLIENT_SECRET"] = keys.secret("PARTNER_CLIENT_SECRET", f"partner-{slug}-client-secret")
    # Seals the tokens and name kept in the session table (marketplace_demo/sealed.py).
    PARTNER["TOKEN_KEY"] = keys.secret("PARTNER_TOKEN_KEY", f"partner-{slug}-token-key")
    DATABASES = {
        "default": database_from_url(
            os.environ.get("PARTNER_DATABASE_URL") or f"sqlite:///partner-{slug}.sqlite3", BASE_DIR
        )
    }
except ConfigError as error:
    raise SystemExit(f"configuration error: {error}") from None

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    ["127.0.0.1", "127.0.0.2", "localhost", "testserver"]
    if DEVELOPMENT
    else [urlsplit(PARTNER["BASE_URL"]).hostname or "localhost"],
)
CSRF_TRUSTED_ORIGINS = [PARTNER["BASE_URL"]]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ui",
    "rest_framework",
    "marketplace_demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace_demo.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "marketplace_demo.middleware.PartnerSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "marketplace_demo.urls"
WSGI_APPLICATION = "marketplace_demo.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "marketplace_demo.views.partner_context",
            ]
        },
    }
]

# Tokens live only in the server-side session store, never in the browser.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = f"{slug}_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = f"{slug}_csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEVELOPMENT:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["marketplace_demo.partner_auth.authentication.IdPAccessTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}
# The reusable partner-API authentication (marketplace_demo/partner_auth): any
# partner API installs it with these three values.
PARTNER_API_AUTH = {"ISSUER": PARTNER["ISSUER"], "AUDIENCE": PARTNER["CLIENT_ID"]}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]  # as the IdP's
LOCALE_PATHS = [BASE_DIR / "locale"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": sys.stderr}},
    "loggers": {"marketplace_demo": {"handlers": ["console"], "level": "INFO"}},
}
