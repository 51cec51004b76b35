"""The one place where personal-data columns are registered.

A new PII field is added here (and declared with an ``EncryptedPII*Field``);
``audit_pii`` and ``rotate_pii_key`` cover it from then on, and the system
check in ``accounts/checks.py`` refuses a PII field that is not registered or
a registered field that is not encrypted.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

PII_FIELDS: tuple[str, ...] = (
    "accounts.User.email",
    "accounts.User.name",
    "accounts.EmailChange.email",
    "accounts.TOTPAuthenticator.secret",
    "accounts.Passkey.name",
)


def registered_pii_fields() -> list[tuple[type[models.Model], models.Field]]:
    found = []
    for dotted in PII_FIELDS:
        app_label, model_name, field_name = dotted.split(".")
        model = apps.get_model(app_label, model_name)
        found.append((model, model._meta.get_field(field_name)))
    return found


def fields_by_model() -> dict[type[models.Model], list[models.Field]]:
    grouped: dict[type[models.Model], list[models.Field]] = {}
    for model, field in registered_pii_fields():
        grouped.setdefault(model, []).append(field)
    return grouped
