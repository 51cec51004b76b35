"""SESSION_ENGINE with Redis: Django's ``cached_db`` store, a login's session written once."""

from django.contrib.sessions.backends import cached_db

from accounts.session_engines import RowWrittenAlone, SessionWrittenOnce


class SessionStore(SessionWrittenOnce, cached_db.SessionStore, RowWrittenAlone):
    pass
