from accounts.models.audit import AuditEvent
from accounts.models.email_changes import EmailChange
from accounts.models.factors import Passkey, RecoveryCode, TOTPAuthenticator
from accounts.models.grants import AuthorizationCode, EndedGrant, RefreshTokenRecord, RevokedAccessToken, token_digest
from accounts.models.keys import StoredSigningKey
from accounts.models.outbox import OutboxMessage, SiteAccount
from accounts.models.sessions import SSOSession
from accounts.models.sites import Consent, PartnerSite, SessionSite
from accounts.models.users import User, UserManager

__all__ = [
    "AuditEvent",
    "AuthorizationCode",
    "Consent",
    "EmailChange",
    "EndedGrant",
    "OutboxMessage",
    "PartnerSite",
    "Passkey",
    "RecoveryCode",
    "RefreshTokenRecord",
    "RevokedAccessToken",
    "SSOSession",
    "SessionSite",
    "SiteAccount",
    "StoredSigningKey",
    "TOTPAuthenticator",
    "User",
    "UserManager",
    "token_digest",
]
