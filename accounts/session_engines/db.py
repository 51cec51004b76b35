"""SESSION_ENGINE without Redis: Django's ``db`` store, a login's session written once."""

from accounts.session_engines import RowWrittenAlone, SessionWrittenOnce


class SessionStore(SessionWrittenOnce, RowWrittenAlone):
    pass
