from accounts.models.audit import AuditEvent
from accounts.models.sessions import SSOSession
from accounts.models.users import User, UserManager

__all__ = ["AuditEvent", "SSOSession", "User", "UserManager"]
