"""Re-encrypting personal data from previous PII keys to the current one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from accounts.pii.keyring import pii_keyring
from accounts.pii.raw import fetch_raw_batch
from accounts.pii.registry import fields_by_model


@dataclass
class RotationResult:
    rows_scanned: int = 0
    values_reencrypted: int = 0


def rotate_pii_key(
    batch_size: int = 500, on_batch: Callable[[str, RotationResult], None] | None = None
) -> RotationResult:
    """Re-encrypt every registered PII value that is not under the current key.

    Each batch is one transaction holding row locks, so a concurrent edit of a
    row cannot be overwritten with a stale value. The work is idempotent:
    values already under the current key are skipped, so a run that was
    interrupted is resumed by running it again. A value no key can decrypt
    stops the run (UndecryptableValue) with nothing of that batch written.
    """
    keyring = pii_keyring()
    result = RotationResult()
    for model, fields in fields_by_model().items():
        after = None
        while True:
            with transaction.atomic():
                batch = fetch_raw_batch(model, fields, after_pk=after, limit=batch_size, for_update=True)
                if not batch:
                    break
                for pk, *values in batch:
                    updates = {
                        field.attname: keyring.decrypt(raw).decode("utf-8")
                        for field, raw in zip(fields, values, strict=True)
                        if raw is not None and not keyring.is_current(raw)
                    }
                    if updates:
                        # .update() encrypts through the field, i.e. with the current key.
                        model._default_manager.filter(pk=model._meta.pk.to_python(pk)).update(**updates)
                        result.values_reencrypted += len(updates)
                result.rows_scanned += len(batch)
                after = batch[-1][0]
            if on_batch:
                on_batch(model._meta.db_table, result)
    return result
