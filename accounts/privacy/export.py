"""A copy of everything the IdP keeps about one account (GDPR articles 15 and 20),
produced on demand and never stored: the profile, the address and whether it is
verified, the second factors (names and dates, never a secret), the sessions (dates,
coarse device, reduced network), the consents by site, the sites it signed in to,
and the audit events about it."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import AuditEvent, Consent, Passkey, SiteAccount, SSOSession, TOTPAuthenticator, User

FORMAT = "privacy-sso/account-export/1"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_for(user: User) -> dict:
    app = TOTPAuthenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": str(user.pk),
            "email": user.email,
            "email_verified": user.email_verified,
            "email_verified_at": _when(user.email_verified_at),
            "name": user.name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "second_factors": {
            "authenticator_app": {"set_up_at": _when(app.confirmed_at)} if app else None,
            "passkeys": [
                {"name": p.name, "added_at": _when(p.created_at), "last_used_at": _when(p.last_used_at)}
                for p in Passkey.objects.filter(user=user).order_by("created_at", "pk")
            ],
            "recovery_codes_left": user.recovery_codes.filter(used_at__isnull=True).count(),
        },
        "sessions": [
            {
                "started_at": _when(s.started_at),
                "last_used_at": _when(s.last_used_at),
                "ended_at": _when(s.ended_at),
                "end_reason": s.end_reason,
                "device": s.device,
                "network": s.network_id,
                "signed_in_with": s.auth_methods.split(),
                "sites": sorted(link.site.name for link in s.site_links.all()),
            }
            for s in SSOSession.objects.filter(user=user).prefetch_related("site_links__site").order_by("started_at")
        ],
        "consents": [
            {"site": c.site.name, "client_id": c.site.client_id, "scopes": c.scopes, "granted_at": _when(c.granted_at)}
            for c in Consent.objects.filter(user=user).select_related("site").order_by("site__name")
        ],
        "sites_signed_in_to": [
            {"site": a.site.name, "client_id": a.site.client_id, "first_at": _when(a.first_at)}
            for a in SiteAccount.objects.filter(user=user).select_related("site").order_by("first_at", "pk")
        ],
        "audit_events": [
            {
                "at": _when(e.occurred_at),
                "event": e.event_type,
                "by_staff": e.actor_id is not None and e.actor_id != user.pk,
                "site": e.client_id,
                "network": e.network_id,
            }
            for e in AuditEvent.objects.filter(user_id=user.pk).order_by("occurred_at", "id")
        ],
    }
