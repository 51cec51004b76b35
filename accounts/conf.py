"""The ``SSO`` setting as one typed, frozen object, parsed once (as simplejwt's ``api_settings``).

``settings.SSO`` stays a plain dict in ``sso_project/settings.py``; everything
else reads ``sso_settings()``, whose fields are named and typed, so a misspelt
key, a missing one, a lifetime that is not a positive duration or an unknown
algorithm fails at start-up with one line saying which, not later in a request.
Tests that change ``settings.SSO`` see the change (``setting_changed``).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Mapping
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from sso_project.keys import SIGNING_ALGORITHMS


@dataclass(frozen=True)
class SSOSettings:
    issuer: str  # the OpenID Provider's issuer identifier: https URL, no trailing slash
    signing_key_dir: Path | None  # PEM keys imported when the database's ring is empty
    signing_algorithm: str  # the ring's default, and the refresh-token MAC's
    access_token_lifetime: timedelta
    id_token_lifetime: timedelta
    refresh_token_lifetime: timedelta
    authorization_code_lifetime: timedelta
    logout_token_lifetime: timedelta
    jwt_leeway: timedelta
    device_secret_lifetime: timedelta
    ended_session_retention: timedelta  # then `purge` removes an ended SSO session and what hangs on it
    audit_retention: timedelta
    outbox_retention: timedelta  # a delivered or abandoned message to a site, kept to be looked at
    scopes: Mapping[str, str]  # scope -> what the consent page says it allows
    network_id_ipv4_prefix: int
    network_id_ipv6_prefix: int

    @classmethod
    def parse(cls, raw: Mapping[str, object]) -> "SSOSettings":
        names = {field.name.upper(): field for field in dataclasses.fields(cls)}
        unknown, missing = sorted(set(raw) - set(names)), sorted(set(names) - set(raw))
        if unknown or missing:
            raise ImproperlyConfigured(f"SSO setting: unknown {unknown or 'none'}, missing {missing or 'none'}")
        values = {field.name: raw[name] for name, field in names.items()}
        for name, value in values.items():
            if name.endswith(("_lifetime", "_leeway", "_retention")) and (
                not isinstance(value, timedelta) or value < timedelta(0)
            ):
                raise ImproperlyConfigured(f"SSO[{name.upper()!r}] must be a duration (timedelta) of zero or more")
        if values["signing_algorithm"] not in SIGNING_ALGORITHMS:
            raise ImproperlyConfigured(f"SSO['SIGNING_ALGORITHM'] must be one of {', '.join(SIGNING_ALGORITHMS)}")
        issuer = urlsplit(str(values["issuer"]))
        if (
            issuer.scheme not in ("http", "https")
            or not issuer.netloc
            or issuer.query
            or issuer.fragment
            or str(values["issuer"]).endswith("/")
        ):
            raise ImproperlyConfigured("SSO['ISSUER'] must be an http(s) URL without query, fragment or trailing /")
        for name, bits in (("network_id_ipv4_prefix", 32), ("network_id_ipv6_prefix", 128)):
            if not isinstance(values[name], int) or not 0 <= values[name] <= bits:
                raise ImproperlyConfigured(f"SSO[{name.upper()!r}] must be a prefix length from 0 to {bits}")
        if "openid" not in values["scopes"]:
            raise ImproperlyConfigured("SSO['SCOPES'] must include openid")
        values["scopes"] = MappingProxyType(dict(values["scopes"]))
        if values["signing_key_dir"] is not None:
            values["signing_key_dir"] = Path(values["signing_key_dir"])
        return cls(**values)


@functools.cache
def sso_settings() -> SSOSettings:
    return SSOSettings.parse(settings.SSO)


@receiver(setting_changed)
def _reload(sender, setting, **kwargs) -> None:
    if setting == "SSO":
        sso_settings.cache_clear()
