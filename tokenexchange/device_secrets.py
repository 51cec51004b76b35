"""Native SSO device secrets: issued with ``device_sso``, bound to one SSO session."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from django.dispatch import receiver
from django.utils import timezone

from accounts.conf import sso_settings
from accounts.joined_rows import JoinedRead, Part
from accounts.models import PartnerSite, SSOSession, User, token_digest
from accounts.oauth.claims import token_hash
from accounts.oauth.issuance import Extended
from accounts.oauth.keyring import SigningKey
from accounts.sessions import sso_session_ended
from accounts.site_grants import site_grant_ended
from tokenexchange.models import DeviceSecret

# The account's email and name are read (and decrypted) only if a claim needs them.
_SECRET, _SESSION, _USER = (
    Part.of(DeviceSecret, "d"),
    Part.of(SSOSession, "s"),
    Part.of(User, "u", defer=("email", "name")),
)
_BY_HASH = JoinedRead(
    [_SECRET, _SESSION, _USER],
    f"""
    FROM {_SECRET.table} JOIN {_SESSION.table} ON s.id = d.sso_session_id JOIN {_USER.table} ON u.id = s.user_id
    WHERE d.secret_hash = %s""",
)


def live_device_secret(raw: str) -> DeviceSecret | None:
    """The live device secret ``raw``, with its SSO session and account, or None."""
    if not raw or len(raw) > 512:
        return None
    secret = _BY_HASH.fetch_related([token_digest(raw)], "sso_session", "user")
    return secret if secret is not None and secret.is_live() else None


def expired_device_secrets(now):
    """For ``purge``: an expired secret is refused whatever its row says (``is_live``)."""
    return DeviceSecret.objects.filter(expires_at__lt=now)


class NativeSSOIssuance:
    """OpenID Connect Native SSO draft 07 section 3.4: a grant with ``openid device_sso``
    for a native-SSO app carries a device secret, and its ID token ``ds_hash`` (both or neither)."""

    def applies(self, site: PartnerSite, scopes: list[str]) -> bool:
        return site.native_sso and {"openid", "device_sso"} <= set(scopes)

    def extend(
        self, sso_session: SSOSession, site: PartnerSite, params: Mapping[str, str] | None, key: SigningKey
    ) -> Extended:
        secret = issue_or_reuse_device_secret(sso_session, site, (params or {}).get("device_secret"))
        return Extended(
            response={"device_secret": secret}, id_token_claims={"ds_hash": token_hash(secret, key.algorithm)}
        )


NATIVE_SSO = NativeSSOIssuance()


def issue_or_reuse_device_secret(sso_session: SSOSession, site: PartnerSite, presented: str | None) -> str:
    """Native SSO draft 07 section 3.4: a device secret the app already holds for
    this session is returned again; an invalid one is treated as absent."""
    if presented:
        existing = live_device_secret(presented)
        if existing is not None and existing.sso_session_id == sso_session.pk:
            return presented
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    DeviceSecret.objects.create(
        secret_hash=token_digest(raw),
        sso_session=sso_session,
        issued_to=site,
        created_at=now,
        expires_at=now + sso_settings().device_secret_lifetime,
    )
    return raw


@receiver(sso_session_ended)
def revoke_session_device_secrets(sender, sso_session: SSOSession, **kwargs) -> None:
    DeviceSecret.objects.filter(sso_session=sso_session, revoked_at__isnull=True).update(revoked_at=timezone.now())


@receiver(site_grant_ended)
def revoke_site_device_secrets(sender, site: PartnerSite, sso_sessions: list[SSOSession], **kwargs) -> None:
    DeviceSecret.objects.filter(issued_to=site, sso_session__in=sso_sessions, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
