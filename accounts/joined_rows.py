"""The hottest reads, as one written-out SQL ``SELECT`` whose row becomes ordinary
model instances.

Building a query through the ORM costs several times more than running it
(docs/performance.md). The few reads on every Native SSO exchange and code
redemption, and the live SSO session of every signed-in page, are composed here
once, at import,
and each row is turned into instances with ``Model.from_db`` (what the ORM itself
calls) after the same converters the ORM applies (PII is decrypted as usual). A
field left out is deferred: it loads on first access, like ``defer()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models
from django.db.models.expressions import Col


@dataclass(frozen=True)
class Part:
    """One model of a joined read, under a table alias, with the columns it reads."""

    model: type[models.Model]
    alias: str
    fields: tuple[models.Field, ...]

    @classmethod
    def of(cls, model: type[models.Model], alias: str, defer: tuple[str, ...] = ()) -> "Part":
        return cls(model, alias, tuple(f for f in model._meta.concrete_fields if f.name not in defer))

    @property
    def table(self) -> str:
        return f'"{self.model._meta.db_table}" {self.alias}'

    @property
    def columns(self) -> str:
        return ", ".join(f'{self.alias}."{field.column}"' for field in self.fields)

    def load(self, values) -> models.Model:
        converted = []
        for (column, converters), value in zip(self._converters(), values, strict=True):
            for convert in converters:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, [field.attname for field in self.fields], converted)

    def _converters(self) -> list[tuple[Col, list]]:
        # As the ORM's compiler does: the backend's converters (SQLite's for
        # datetimes, say), then the field's own (decryption).
        cached = _converters.get((self, connection.vendor))
        if cached is None:
            cached = []
            for field in self.fields:
                column = field.get_col(self.alias)
                cached.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
            _converters[(self, connection.vendor)] = cached
        return cached


_converters: dict[tuple[Part, str], list] = {}


class JoinedRead:
    """``SELECT`` the columns of ``parts`` ``FROM`` and ``WHERE`` as given; ``fetch``
    returns one instance per part (``None`` when no row matches)."""

    def __init__(self, parts: list[Part], from_where: str):
        self.parts = parts
        self.sql = f"SELECT {', '.join(part.columns for part in parts)} {from_where}"

    def fetch(self, params: list) -> list[models.Model] | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        instances, start = [], 0
        for part in self.parts:
            instances.append(part.load(row[start : start + len(part.fields)]))
            start += len(part.fields)
        return instances

    def fetch_related(self, params: list, *relations: str) -> models.Model | None:
        """The first part's instance with each later one set as ``relations[i]`` of the
        one before it, as ``select_related`` leaves them; None when no row matches."""
        found = self.fetch(params)
        if found is None:
            return None
        for instance, relation, related in zip(found[:-1], relations, found[1:], strict=True):
            setattr(instance, relation, related)
        return found[0]
