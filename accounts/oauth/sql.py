"""Whether the grants may write in one SQL statement.

PostgreSQL runs a ``WITH`` of several ``INSERT``/``UPDATE`` parts as one
statement, one round trip and one transaction (``rotation``, ``recording``).
Other databases (SQLite for the demo) take the ORM path, which keeps the same
rules in a transaction of several statements.
"""

from __future__ import annotations

from django.db import connection


def one_statement_writes() -> bool:
    return connection.vendor == "postgresql"
