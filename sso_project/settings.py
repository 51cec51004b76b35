"""Settings of the identity provider, read once from the environment.

Every variable is documented in README.md ("Configuration"). Production is the
default: debug off, and a missing key refuses the start. Development
(DJANGO_DEBUG=true, which ``make demo`` and ``make test`` set) generates
missing keys into ``.keys/``. A malformed value stops the start with one line.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy

from sso_project.env import (
    ConfigError,
    database_from_url,
    email_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
)
from sso_project.keys import KeySource

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    # Development: keys generated, plain-HTTP cookies, local host names. Django's debug
    # pages only with it, and not even then when DJANGO_DEBUG_PAGES=false (the demo).
    DEVELOPMENT = env_bool("DJANGO_DEBUG", False)
    DEBUG = DEVELOPMENT and env_bool("DJANGO_DEBUG_PAGES", True)
    LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
    LOGIN_NETWORK_FAILURE_LIMIT = env_int("LOGIN_NETWORK_FAILURE_LIMIT", 100, minimum=1)
    LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
    # The admin console only after a second factor (staff without one are sent to set one up).
    ADMIN_REQUIRE_MFA = env_bool("ADMIN_REQUIRE_MFA", True)
    REGISTRATIONS_PER_NETWORK_PER_HOUR = env_int("REGISTRATIONS_PER_NETWORK_PER_HOUR", 20, minimum=1)
    REDIS_CONNECT_TIMEOUT_SECONDS = env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 0.25, minimum=0.01)
    REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 0.5, minimum=0.01)
    HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_SSL_REDIRECT_ON = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
    ACCESS_TOKEN_SECONDS = env_int("SSO_ACCESS_TOKEN_SECONDS", 300, minimum=1)
    DEVICE_SECRET_DAYS = env_int("SSO_DEVICE_SECRET_DAYS", 90, minimum=1)
    # How long `manage.py purge` keeps what no longer serves a request (docs/reference.md).
    ENDED_SESSION_RETENTION_DAYS = env_int("SSO_ENDED_SESSION_RETENTION_DAYS", 30, minimum=1)
    AUDIT_RETENTION_DAYS = env_int("SSO_AUDIT_RETENTION_DAYS", 400, minimum=1)
    OUTBOX_RETENTION_DAYS = env_int("SSO_OUTBOX_RETENTION_DAYS", 7, minimum=1)
    LEGACY_IDP_TIMEOUT_SECONDS = env_float("LEGACY_IDP_TIMEOUT_SECONDS", 3.0, minimum=0.1)
    # Production logs one JSON object a line (accounts/logs.py), development plain lines.
    LOG_FORMAT = os.environ.get("SSO_LOG_FORMAT", "plain" if DEVELOPMENT else "json").strip().lower()
    if LOG_FORMAT not in ("json", "plain"):
        raise ConfigError(f"SSO_LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
    # /metrics (accounts/metrics/endpoint.py): to these networks, or to whoever sends the bearer secret.
    METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
    METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "").strip()
    keys = KeySource(
        Path(os.environ.get("SSO_KEY_DIR", BASE_DIR / ".keys")),
        generate_missing=DEVELOPMENT,
    )
    SECRET_KEY = keys.secret("DJANGO_SECRET_KEY", "django-secret-key", nbytes=48)
    PII_KEY = keys.secret("PII_KEY", "pii.key")
    PII_PREVIOUS_KEYS = keys.secret_list("PII_PREVIOUS_KEYS", "pii-previous.keys")
    BLIND_INDEX_KEY = keys.secret("BLIND_INDEX_KEY", "blind-index.key")
    PAIRWISE_SUBJECT_KEY = keys.secret("PAIRWISE_SUBJECT_KEY", "pairwise-subject.key")
    SIGNING_KEY_DIR = keys.signing_key_dir("SSO_SIGNING_KEY_DIR", "signing")
    # Seals the private keys of the JWT signing ring in the database (accounts/oauth/key_storage.py).
    SIGNING_KEY_ENCRYPTION_KEY = keys.secret("SIGNING_KEY_ENCRYPTION_KEY", "signing-key-encryption.key")
    DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or "sqlite:///db.sqlite3", BASE_DIR)}
    # Mail (accounts.mail): a production IdP without a mail server could not verify an
    # address or let anyone back in, so it refuses to start without one.
    EMAIL_VERIFICATION_HOURS = env_int("EMAIL_VERIFICATION_HOURS", 24, minimum=1)
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 30, minimum=1)
    MAIL_PER_ACCOUNT_PER_HOUR = env_int("MAIL_PER_ACCOUNT_PER_HOUR", 5, minimum=1)
    MAIL_PER_NETWORK_PER_HOUR = env_int("MAIL_PER_NETWORK_PER_HOUR", 30, minimum=1)
    EMAIL_URL = os.environ.get("EMAIL_URL", "").strip()
    DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM", "").strip()
    if not DEVELOPMENT and not (EMAIL_URL and DEFAULT_FROM_EMAIL):
        raise ConfigError("EMAIL_URL and EMAIL_FROM are required (the mail server and the sender address)")
    DEMO_MAILBOX_DIR = None
    if EMAIL_URL:
        globals().update(email_from_url(EMAIL_URL))  # EMAIL_BACKEND, EMAIL_HOST, ... (DEMO_MAILBOX_DIR)
    else:
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # development: printed
    if DEMO_MAILBOX_DIR is not None and not DEVELOPMENT:
        raise ConfigError("EMAIL_URL demo:// is the demo's mailbox, for development only")
    DEFAULT_FROM_EMAIL = DEFAULT_FROM_EMAIL or "Tessera <no-reply@localhost>"
except ConfigError as error:
    # One line, no traceback: the operator needs the fix, not our stack.
    raise SystemExit(f"configuration error: {error}") from None

SSO_ISSUER = os.environ.get("SSO_ISSUER", "http://localhost:8000").rstrip("/")
# What users see the identity provider called, and its accent colour (#rrggbb; ui.theme).
SSO_BRAND_NAME = os.environ.get("SSO_BRAND_NAME", "").strip() or "Tessera"
SSO_BRAND_COLOR = os.environ.get("SSO_BRAND_COLOR", "#3446b4")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEVELOPMENT else [],
)
if not DEVELOPMENT and not ALLOWED_HOSTS:
    from urllib.parse import urlsplit

    ALLOWED_HOSTS = [urlsplit(SSO_ISSUER).hostname or "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ui",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "axes",
    "accounts",
    "tokenexchange",
]

# What every request runs, the client endpoints' too: production serves the token,
# revocation and introspection endpoints, which authenticate a client and never a browser,
# with this list alone (sso_project/client_endpoints.py).
CLIENT_ENDPOINT_MIDDLEWARE = [
    # First: every line logged while a request is served names it (accounts/logs.py).
    "accounts.logs.RequestIdMiddleware",
    # Then it times and counts every answer, those of the middleware below included.
    "accounts.metrics.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.ContentSecurityPolicyMiddleware",
    "accounts.middleware.RejectNulBytesMiddleware",
    "accounts.middleware.ServiceUnavailableMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# What pages need besides: the browser's session, its language, CSRF, messages, the lock-out.
PAGE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switch's cookie, else Accept-Language (and ui_locales, accounts.oauth.views).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SSOSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]
MIDDLEWARE = CLIENT_ENDPOINT_MIDDLEWARE + PAGE_MIDDLEWARE

# Static files served by the application itself: collected ones in production, straight
# from the apps' folders in development (whatever DEBUG says).
MIDDLEWARE.insert(3, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT


ROOT_URLCONF = "sso_project.urls"
WSGI_APPLICATION = "sso_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context.brand",
            ],
        },
    },
]

# --- Accounts and passwords -------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out client never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend looks users up with get_by_natural_key, i.e. the blind index.
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    # Older hashes still verify and are re-hashed with Argon2id at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("name",)},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every form is rendered by the design system (label, hint, input, error, tied by aria-describedby).
FORM_RENDERER = "ui.forms.DesignRenderer"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:account"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Personal data at rest --------------------------------------------------

# django-cryptography reads CRYPTOGRAPHY_KEY; our PII fields derive separate
# encryption and MAC keys from PII_KEY (accounts/pii/keyring.py) so that the
# ciphertext does not depend on SECRET_KEY.
CRYPTOGRAPHY_KEY = PII_KEY

# --- Brute-force protection (django-axes) ------------------------------------

AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Locks an account and network pair; slows an account failing from many networks;
# throttles a network at LOGIN_NETWORK_FAILURE_LIMIT (accounts/lockout.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Counters live in the cache (Redis in production), never in a table: axes'
# database handler would store the typed email and IP address in plaintext.
AXES_HANDLER = "accounts.lockout.PairLockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_for_lockout"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_network_id"
AXES_CLIENT_STR_CALLABLE = "accounts.lockout.client_description"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# An attempt refused while locked is not counted (nor does it extend the lock).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "email"

# --- Database, cache, sessions ------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, and the database cache table while Redis is unreachable.
            "BACKEND": "accounts.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sso",
            "OPTIONS": {
                "FALLBACK_TABLE": "sso_cache",
                # A Redis that hangs (or a host that vanished, answering nothing)
                # must cost a request a fraction of a second before the database
                # cache stands in, not redis-py's default of five seconds.
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
    # The browser sessions live in Redis (Django's cache engine, keys digested): a sign-in writes
    # no session row to PostgreSQL. The SSO sessions, which every token hangs on, are rows.
    SESSION_ENGINE = "accounts.session_engines.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Login-failure counters must be shared by every server process and
        # incremented atomically, which a per-process memory cache and a file
        # cache cannot do; without Redis they go to a table (accounts 0002).
        "axes": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sso_cache",
        },
    }
    AXES_CACHE = "axes"
    SESSION_ENGINE = "accounts.session_engines.db"

SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [SSO_ISSUER])

# --- Security headers -----------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

if not DEVELOPMENT:
    # __Host- cookies are only accepted over HTTPS, host-only, with Path=/.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = SECURE_SSL_REDIRECT_ON
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Where SECURE_SSL_REDIRECT is on, the load balancer still probes each node directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- REST API -------------------------------------------------------------------

# simplejwt is the token engine; our token classes (accounts/oauth/tokens.py)
# sign with the key ring instead of a single key. Claims of our own.
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "token_use",
    "JTI_CLAIM": "jti",
    "ISSUER": None,
    "LEEWAY": 30,
    "UPDATE_LAST_LOGIN": False,
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Privacy-first SSO API",
    "VERSION": "1",
    "APPEND_COMPONENTS": {"securitySchemes": {"clientSecretBasic": {"type": "http", "scheme": "basic"}}},
}
# Browsers may call only the token/API endpoints cross-origin, and only from
# the origins of registered partner sites (accounts/oauth/cors.py).
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_URLS_REGEX = r"^/(\.well-known/.*|oauth/(token|userinfo|revoke|introspect)/|api/.*)$"

# USERNAME_FIELD (email) is ciphertext and cannot carry a unique constraint;
# uniqueness is enforced by the unique blind index `email_index` instead.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# Request bodies larger than this are refused before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# --- Static files, i18n -----------------------------------------------------------

STATIC_URL = "static/"
# `manage.py collectstatic` writes here at deployment; each node serves its own copy.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", "").strip() or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEVELOPMENT
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LANGUAGE_CODE = "en"
# Every page in English, German and Spanish; locale/ is shared with the partner sites.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Django's default logging, plus: nothing below logs PII (only ids and event types).
# The tokens of mailed links are cut out of every line (accounts.mail.redaction),
# the server's request lines included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_links": {"()": "accounts.mail.redaction.RedactLinkTokens"},
        "request_id": {"()": "accounts.logs.RequestIdFilter"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
        "json": {"()": "accounts.logs.JsonFormatter"},
        "plain": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": sys.stderr,
            "filters": ["redact_links", "request_id"],
            "formatter": LOG_FORMAT,
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "stream": sys.stderr,
            "formatter": "django.server",
            "filters": ["redact_links"],
        },
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "accounts": {"handlers": ["console"], "level": os.environ.get("SSO_LOG_LEVEL", "INFO")},
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}

SSO = {
    "ISSUER": SSO_ISSUER,
    "SIGNING_KEY_DIR": SIGNING_KEY_DIR,
    "SIGNING_ALGORITHM": os.environ.get("SSO_SIGNING_ALGORITHM", "RS256"),
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_SECONDS),
    "ID_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    "AUTHORIZATION_CODE_LIFETIME": timedelta(seconds=60),
    "LOGOUT_TOKEN_LIFETIME": timedelta(minutes=2),
    "JWT_LEEWAY": timedelta(seconds=30),
    "DEVICE_SECRET_LIFETIME": timedelta(days=DEVICE_SECRET_DAYS),
    "ENDED_SESSION_RETENTION": timedelta(days=ENDED_SESSION_RETENTION_DAYS),
    "AUDIT_RETENTION": timedelta(days=AUDIT_RETENTION_DAYS),
    "OUTBOX_RETENTION": timedelta(days=OUTBOX_RETENTION_DAYS),
    "SCOPES": {  # what the consent page says each allows, translated where shown
        "openid": gettext_lazy("Sign you in"),
        "profile": gettext_lazy("See your name"),
        "email": gettext_lazy("See your email address"),
        "offline_access": gettext_lazy("Keep you signed in"),
        "device_sso": gettext_lazy("Sign you in to its other apps on this device"),
        "account_data": gettext_lazy("Get a copy of all the data of your account"),
    },
    "NETWORK_ID_IPV4_PREFIX": 24,
    "NETWORK_ID_IPV6_PREFIX": 48,
}

CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
AXES_ENABLE_ADMIN = False  # attempts live in the cache, not in axes' table

# The legacy identity provider whose refresh tokens token exchange migrates
# (tokenexchange/profiles/legacy_migration.py); disabled while unset.
LEGACY_IDP = {
    "ISSUER": os.environ.get("LEGACY_IDP_ISSUER", ""),
    "INTROSPECTION_URL": os.environ.get("LEGACY_IDP_INTROSPECTION_URL", ""),
    "CLIENT_ID": os.environ.get("LEGACY_IDP_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("LEGACY_IDP_CLIENT_SECRET", ""),
    "REVOCATION_URL": os.environ.get("LEGACY_IDP_REVOCATION_URL", ""),
    "TIMEOUT_SECONDS": LEGACY_IDP_TIMEOUT_SECONDS,
}
