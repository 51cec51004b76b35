"""Reading configuration from the environment, once, at settings import.

Only `sso_project.settings` calls these helpers; application code reads
`django.conf.settings`, never `os.environ`.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message is one line."""


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _number(name: str, default, parse, what: str, minimum):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = parse(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return _number(name, default, int, "a whole number", minimum)


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    return _number(name, default, float, "a number", minimum)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list:
    """Comma-separated networks in CIDR notation (an address alone is its own network)."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name} must list networks such as 10.0.0.0/8, not {item!r}") from None
    return networks


def _query_option(raw: str):
    """A DATABASE_URL query value as the type psycopg and Django compare it with."""
    lowered = raw.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "none":
        return None
    return int(raw) if raw.isdigit() else raw


def database_from_url(url: str, base_dir: Path) -> dict:
    """Translate a DATABASE_URL into a Django DATABASES entry.

    Supported: ``sqlite:///relative/or/absolute/path`` and
    ``postgres://user:password@host:port/name`` (psycopg 3).
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.sqlite3 or sqlite:////absolute/path.sqlite3
        name = Path(unquote(parts.path[1:]))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name if name.is_absolute() else base_dir / name,
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        # Server-side binding lets psycopg prepare the statements a token request
        # repeats, so PostgreSQL plans each once per connection instead of on every
        # request (docs/performance.md). ``?server_side_binding=false`` turns it off,
        # e.g. behind a PgBouncer in transaction mode, which cannot keep prepared
        # statements.
        # A database host that vanished answers nothing: without limits a request
        # would wait 130 s for a connection (psycopg's default) or a quarter of an
        # hour for a lost statement's TCP retransmissions. With them it fails within
        # seconds and answers 503 (accounts.middleware).
        options: dict = {
            "server_side_binding": True,
            "prepare_threshold": 2,
            "connect_timeout": 3,
            "tcp_user_timeout": 10_000,
        }
        for key, values in parse_qs(parts.query).items():
            options[key] = _query_option(values[-1])
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            # Django's default: a reused connection is not tested with a round trip before
            # every request. One that broke (a failover) fails its next request with a 503
            # and is then closed, so service recovers by itself; true buys that one request
            # at the price of a round trip on every request (docs/performance.md).
            "CONN_HEALTH_CHECKS": env_bool("DATABASE_HEALTH_CHECKS", False),
        }
    raise ConfigError(f"DATABASE_URL scheme {parts.scheme!r} is not supported (use sqlite:// or postgres://)")


def email_from_url(url: str) -> dict:
    """Translate an EMAIL_URL into Django's EMAIL_* settings.

    ``smtp://user:password@host:587?tls=1`` (STARTTLS), ``smtps://...:465``
    (TLS from the first byte), ``?timeout=10`` (seconds, default 10: a mail
    server that hangs must not hold a request for long); ``demo:///folder``
    is the demo's mailbox (accounts.mail.demo, development only).
    """
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"tls", "ssl", "timeout"})
    if unknown:
        raise ConfigError(f"EMAIL_URL option {unknown[0]!r} is not supported (use tls, ssl, timeout)")
    if parts.scheme == "demo":
        return {"EMAIL_BACKEND": "accounts.mail.demo.DemoMailBackend", "DEMO_MAILBOX_DIR": Path(unquote(parts.path))}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ConfigError(f"EMAIL_URL scheme {parts.scheme!r} is not supported (use smtp:// or smtps://)")
    if not parts.hostname:
        raise ConfigError("EMAIL_URL must name the mail server's host")
    flags = {}
    for name in ("tls", "ssl"):
        raw = query.get(name, "0").strip().lower()
        if raw not in TRUE_WORDS | FALSE_WORDS:
            raise ConfigError(f"EMAIL_URL option {name} must be 0 or 1, not {raw!r}")
        flags[name] = raw in TRUE_WORDS
    use_ssl = parts.scheme == "smtps" or flags["ssl"]
    if use_ssl and flags["tls"]:
        raise ConfigError("EMAIL_URL: choose tls (STARTTLS) or ssl, not both")
    try:
        timeout = float(query.get("timeout", "10"))
        port = parts.port
    except ValueError:
        raise ConfigError("EMAIL_URL has a malformed port or timeout") from None
    if not timeout > 0:
        raise ConfigError("EMAIL_URL timeout must be more than 0 seconds")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if flags["tls"] else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": flags["tls"],
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }
