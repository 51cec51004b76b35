"""SESSION_ENGINE without Redis: Django's ``db`` store, a login's session written once."""

from django.contrib.sessions.backends import db

from accounts.session_engines import SessionWrittenOnce


class SessionStore(SessionWrittenOnce, db.SessionStore):
    pass
