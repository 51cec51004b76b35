"""Where the grants and a sign-in write: one interface, two implementations.

On PostgreSQL each write below is one data-modifying statement (``WITH ...
INSERT/UPDATE``): one round trip, atomic by itself (``postgresql.py``). On any
other database (SQLite for the demo) the same rows are written through the ORM
in a transaction (``orm.py``). Callers decide nothing by database: they hand
the store what to write and get back one ``Written``, whose ``outcome`` says
whether it was written or which rule refused it; the rules that follow from a
refusal (the reuse policies) are the grants' own, written once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection

from accounts.models import PartnerSite, SSOSession


class Outcome(enum.Enum):
    WRITTEN = "written"
    UNKNOWN = "unknown"  # no such credential for this client (and scope)
    REUSED = "reused"  # redeemed or rotated before: the reuse policy applies
    REVOKED = "revoked"
    EXPIRED = "expired"
    SESSION_ENDED = "session_ended"  # its SSO session ended, or the account was disabled
    NOT_CONSENTED = "not_consented"


@dataclass(frozen=True)
class Written:
    outcome: Outcome
    outstanding_id: int | None = None  # the refresh token recorded
    sso_session_id: int | None = None
    user_id: object | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.WRITTEN


@dataclass(frozen=True)
class RefreshToken:
    """A refresh token to record: its identifiers and digest, never its text."""

    jti: str
    digest: str  # SHA-256 of the token
    created_at: datetime
    expires_at: datetime
    scope: str


@dataclass(frozen=True)
class Issuance:
    """What one grant issued to a site in an SSO session."""

    user_id: object
    sso_session: SSOSession
    site: PartnerSite
    grant: str
    refresh: RefreshToken
    access_jti: str
    link_site: bool  # record that the session signed in to the site (told at logout)
    redeeming_code_id: int | None = None  # claim this authorization code with it, or write nothing


@dataclass(frozen=True)
class Rotation:
    """The refresh token ``jti`` of ``site``, issued with ``granted_scope``, rotated into ``successor``."""

    jti: str
    site: PartnerSite
    granted_scope: str
    successor: RefreshToken


@dataclass(frozen=True)
class NewCode:
    """An authorization code to store, with the session's link to its site, if the user consented."""

    site: PartnerSite
    sso_session: SSOSession
    scopes: tuple[str, ...]
    code_hash: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    created_at: datetime
    expires_at: datetime


class Store(Protocol):
    def record_issuance(self, issuance: Issuance) -> Written: ...

    def rotate_refresh_token(self, rotation: Rotation) -> Written: ...

    def insert_code_if_consented(self, code: NewCode) -> Written: ...

    def insert_sso_session(self, session: SSOSession, now: datetime) -> None:
        """Store the new ``session`` begun at ``now``, the user's ``last_login`` and the ``login_success``
        audit event, all or nothing."""


def current() -> Store:
    """The store for the default database."""
    return postgresql.STORE if connection.vendor == "postgresql" else orm.STORE


from accounts.store import orm, postgresql  # noqa: E402  (they build on the types above)
