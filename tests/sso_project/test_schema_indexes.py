"""Every index on the hot tables earns its keep: none repeats another's leading
columns (each insert maintains every index, on every login, refresh and code)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Our apps' tables; Django's auth many-to-many tables are Django's to shape.
OURS = "(c.relname LIKE 'accounts\\_%' OR c.relname LIKE 'tokenexchange\\_%') AND c.relname NOT IN ('accounts_user_groups', 'accounts_user_user_permissions')"

DUPLICATES = f"""
WITH ix AS (
    SELECT i.indexrelid::regclass::text AS name, c.relname AS tbl, i.indisunique AS uniq,
           string_to_array(i.indkey::text, ' ')::int[] AS cols, string_to_array(i.indclass::text, ' ')::oid[] AS ops
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE {OURS}
)
SELECT a.tbl, a.name, b.name FROM ix a JOIN ix b ON a.tbl = b.tbl AND a.name <> b.name
WHERE NOT a.uniq AND a.cols = b.cols[1:array_length(a.cols, 1)] AND a.ops = b.ops[1:array_length(a.ops, 1)]
"""

# LIKE ('_like', pattern-ops) indexes that Django adds beside a CharField's own; no
# query of ours matches these columns with LIKE. Unique fields still get one
# (Django makes it with every unique CharField); new non-unique ones must not.
PATTERN_OPS_ON_NON_UNIQUE = f"""
SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_opclass o ON o.oid = ANY(i.indclass::oid[])
WHERE {OURS} AND o.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')
  AND NOT EXISTS (SELECT 1 FROM pg_index u WHERE u.indrelid = i.indrelid AND u.indisunique AND u.indkey = i.indkey)
"""


def rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_no_index_repeats_the_leading_columns_of_another():
    assert rows(DUPLICATES) == []


def test_no_like_index_on_a_column_that_is_not_unique():
    assert rows(PATTERN_OPS_ON_NON_UNIQUE) == []
