"""The store through Django's ORM, for databases other than PostgreSQL: the same
rows and the same refusals as ``postgresql.py``, in a transaction of several
statements, the presented credential's row locked or claimed by a conditional
``UPDATE`` so that of concurrent uses exactly one wins."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.audit import EventType, record_event
from accounts.models import AuthorizationCode, Consent, RefreshTokenRecord, SessionSite, SiteAccount, SSOSession, User
from accounts.store import Issuance, NewCode, Outcome, RefreshToken, Rotation, Written


def _record(session: SSOSession, site, user_id, refresh: RefreshToken) -> OutstandingToken:
    outstanding = OutstandingToken.objects.create(
        user_id=user_id,
        jti=refresh.jti,
        token="sha256:" + refresh.digest,
        created_at=refresh.created_at,
        expires_at=refresh.expires_at,
    )
    RefreshTokenRecord.objects.create(outstanding=outstanding, sso_session=session, site=site, scope=refresh.scope)
    return outstanding


def _link(session: SSOSession, site, now: datetime) -> None:
    SessionSite.objects.bulk_create([SessionSite(sso_session=session, site=site, first_at=now)], ignore_conflicts=True)
    # Durable beyond the session: the sites an erasure must tell (accounts.privacy.erasure).
    SiteAccount.objects.bulk_create(
        [SiteAccount(user_id=session.user_id, site=site, first_at=now)], ignore_conflicts=True
    )


class OrmStore:
    def record_issuance(self, issuance: Issuance) -> Written:
        session, site, refresh = issuance.sso_session, issuance.site, issuance.refresh
        with transaction.atomic():
            if issuance.redeeming_code_id is not None:
                refused = self._claim_code(issuance)
                if refused is not None:
                    transaction.set_rollback(True)
                    return Written(refused)
            outstanding = _record(session, site, issuance.user_id, refresh)
            if issuance.redeeming_code_id is not None:
                AuthorizationCode.objects.filter(pk=issuance.redeeming_code_id).update(
                    issued_refresh=outstanding, issued_access_jti=issuance.access_jti
                )
            if issuance.link_site:
                _link(session, site, refresh.created_at)
            record_event(
                EventType.TOKEN_ISSUED,
                user_id=issuance.user_id,
                client_id=site.client_id,
                sid=session.sid,
                occurred_at=refresh.created_at,
                grant=issuance.grant,
            )
        return Written(Outcome.WRITTEN, outstanding.pk, session.pk, issuance.user_id)

    def _claim_code(self, issuance: Issuance) -> Outcome | None:
        now = issuance.refresh.created_at
        code = (
            AuthorizationCode.objects.select_for_update(of=("self",))
            .select_related("sso_session__user")
            .filter(pk=issuance.redeeming_code_id, site=issuance.site)
            .first()
        )
        if code is None:
            return Outcome.UNKNOWN
        if code.used_at is not None:
            return Outcome.REUSED
        if code.expires_at <= now:
            return Outcome.EXPIRED
        if not code.sso_session.is_active or not code.sso_session.user.is_active:
            return Outcome.SESSION_ENDED
        code.used_at = now
        code.save(update_fields=["used_at"])
        return None

    def rotate_refresh_token(self, rotation: Rotation) -> Written:
        successor = rotation.successor
        with transaction.atomic():
            record = (
                RefreshTokenRecord.objects.select_for_update(of=("self",))
                .select_related("sso_session__user")
                .annotate(blacklisted=Exists(BlacklistedToken.objects.filter(token_id=OuterRef("outstanding_id"))))
                .filter(outstanding__jti=rotation.jti, site=rotation.site, scope=rotation.granted_scope)
                .first()
            )
            if record is None:
                return Written(Outcome.UNKNOWN)
            session = record.sso_session
            refused = (
                Outcome.REUSED
                if record.rotated_at is not None
                else Outcome.REVOKED
                if record.blacklisted
                else Outcome.SESSION_ENDED
                if not (session.is_active and session.user.is_active)
                else None
            )
            if refused is not None:
                return Written(refused, None, session.pk, session.user_id)
            record.rotated_at = successor.created_at
            record.save(update_fields=["rotated_at"])
            BlacklistedToken.objects.create(token_id=record.outstanding_id, blacklisted_at=successor.created_at)
            outstanding = _record(session, rotation.site, session.user_id, successor)
            record_event(
                EventType.TOKEN_ISSUED,
                user=session.user,
                client_id=rotation.site.client_id,
                sid=session.sid,
                occurred_at=successor.created_at,
                grant="refresh_token",
            )
        return Written(Outcome.WRITTEN, outstanding.pk, session.pk, session.user_id)

    def insert_code_if_consented(self, code: NewCode) -> Written:
        session = code.sso_session
        consent = (
            None if code.site.first_party else Consent.objects.filter(user_id=session.user_id, site=code.site).first()
        )
        if not code.site.first_party and (consent is None or not consent.covers(set(code.scopes))):
            return Written(Outcome.NOT_CONSENTED, sso_session_id=session.pk)
        with transaction.atomic():
            _link(session, code.site, code.created_at)
            AuthorizationCode.objects.create(
                code_hash=code.code_hash,
                site=code.site,
                user_id=session.user_id,
                sso_session=session,
                redirect_uri=code.redirect_uri,
                scope=" ".join(code.scopes),
                nonce=code.nonce,
                code_challenge=code.code_challenge,
                auth_time=session.auth_time,
                created_at=code.created_at,
                expires_at=code.expires_at,
            )
        return Written(Outcome.WRITTEN, sso_session_id=session.pk)

    def insert_sso_session(self, session: SSOSession, now: datetime) -> None:
        with transaction.atomic():
            session.started_at = session.auth_time = session.last_used_at = now
            session.save(force_insert=True)
            User.objects.filter(pk=session.user_id).update(last_login=now)
            record_event(
                EventType.LOGIN_SUCCESS,
                user_id=session.user_id,
                sid=session.sid,
                network=session.network_id,
                occurred_at=now,
                methods=session.auth_methods.split(),
            )


STORE = OrmStore()
