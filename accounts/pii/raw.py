"""Reading PII columns as the database stores them, bypassing the ORM's decryption."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, models


def raw_bytes(value: Any) -> bytes | str | None:
    """Normalise a driver value: memoryview (psycopg) -> bytes; text stays text."""
    if isinstance(value, memoryview):
        return value.tobytes()
    return value


def fetch_raw_batch(
    model: type[models.Model],
    fields: Sequence[models.Field],
    *,
    after_pk: Any = None,
    limit: int = 1000,
    for_update: bool = False,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` rows ``(pk, raw column values...)`` with pk > ``after_pk``, by pk."""
    quote = connection.ops.quote_name
    pk_column = quote(model._meta.pk.column)
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"SELECT {pk_column}, {columns} FROM {quote(model._meta.db_table)}"
    params: list[Any] = []
    if after_pk is not None:
        sql += f" WHERE {pk_column} > %s"
        params.append(after_pk)
    sql += f" ORDER BY {pk_column} LIMIT %s"
    params.append(limit)
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], *map(raw_bytes, row[1:])) for row in cursor.fetchall()]


def iter_raw_rows(
    model: type[models.Model], fields: Sequence[models.Field], batch_size: int = 1000
) -> Iterator[tuple[Any, ...]]:
    after = None
    while True:
        batch = fetch_raw_batch(model, fields, after_pk=after, limit=batch_size)
        if not batch:
            return
        yield from batch
        after = batch[-1][0]
