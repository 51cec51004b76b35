"""SESSION_ENGINE without Redis: Django's ``db`` store, keyed by ``stored_key`` only."""

from accounts.session_engines import DigestedKeys


class SessionStore(DigestedKeys):
    pass
