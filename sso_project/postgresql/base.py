"""Django's PostgreSQL backend, with the health check of a persistent connection
skipped while its last success is recent.

``CONN_HEALTH_CHECKS`` costs a round trip (``SELECT 1``) at the start of every
request that uses the database. Under load a connection serves a request every
few milliseconds, and checking it a few milliseconds after it last worked tells
nothing new, so a check within ``ALIVE_BYPASS_SECONDS`` of the last request that
used the connection without a database error is skipped, as connection pools do
(HikariCP's ``aliveBypassWindowMs``, also 500 ms). A connection that breaks inside
that window fails its request's first query: a 503 ``temporarily_unavailable``
(``accounts.middleware``), after which Django closes it and the next request
connects afresh.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    ALIVE_BYPASS_SECONDS = 0.5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proven_at: float | None = None  # when a request last used the connection without an error

    def close_if_health_check_failed(self):
        recent = self.proven_at is not None and time.monotonic() - self.proven_at < self.ALIVE_BYPASS_SECONDS
        if self.connection is not None and recent and not self.errors_occurred:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called at the start and at the end of each request. At the end,
        # health_check_done says the request reached the database, and
        # errors_occurred whether anything there failed.
        proven = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if proven and self.connection is not None:
            self.proven_at = time.monotonic()

    def close(self):
        self.proven_at = None
        super().close()
