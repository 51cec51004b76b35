"""The audit of personal data at rest: every registered PII column, read raw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounts.pii.keyring import UndecryptableValue, pii_keyring
from accounts.pii.raw import iter_raw_rows
from accounts.pii.registry import fields_by_model

CURRENT = "current"
PREVIOUS_KEY = "previous_key"
EMPTY = "empty"
PLAINTEXT = "plaintext"
UNREADABLE = "unreadable"


@dataclass
class ColumnReport:
    table: str
    column: str
    counts: dict[str, int] = field(default_factory=dict)
    plaintext_row_ids: list[str] = field(default_factory=list)
    unreadable_row_ids: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.plaintext_row_ids and not self.unreadable_row_ids

    def count(self, verdict: str, row_id: str) -> None:
        self.counts[verdict] = self.counts.get(verdict, 0) + 1
        if verdict == PLAINTEXT:
            self.plaintext_row_ids.append(row_id)
        elif verdict == UNREADABLE:
            self.unreadable_row_ids.append(row_id)


def classify(raw: Any) -> str:
    """What a raw column value is: ciphertext under which key, empty, or plaintext."""
    if raw is None or raw in (b"", ""):
        return EMPTY
    if isinstance(raw, str):
        return PLAINTEXT  # a text value in a ciphertext column was written around the ORM
    keyring = pii_keyring()
    if keyring.is_current(raw):
        return CURRENT
    try:
        keyring.decrypt(raw)
    except UndecryptableValue:
        return PLAINTEXT if _looks_like_text(raw) else UNREADABLE
    return PREVIOUS_KEY


def _looks_like_text(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text.isprintable()


def audit_pii_columns() -> list[ColumnReport]:
    reports = []
    for model, fields in fields_by_model().items():
        column_reports = [ColumnReport(model._meta.db_table, f.column) for f in fields]
        for pk, *values in iter_raw_rows(model, fields):
            row_id = str(model._meta.pk.to_python(pk))
            for report, raw in zip(column_reports, values, strict=True):
                report.count(classify(raw), row_id)
        reports.extend(column_reports)
    return reports
