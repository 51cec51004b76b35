"""System checks: every PII field is registered, every registered field is encrypted."""

from __future__ import annotations

from django.apps import apps
from django.core import checks

from accounts.pii.fields import PIIEncryptionMixin
from accounts.pii.registry import PII_FIELDS, registered_pii_fields


@checks.register(checks.Tags.models)
def check_pii_registry(app_configs=None, **kwargs):
    errors = []
    registered = set(PII_FIELDS)
    for model in apps.get_models():
        for field in model._meta.get_fields():
            dotted = f"{model._meta.app_label}.{model.__name__}.{field.name}"
            if isinstance(field, PIIEncryptionMixin) and dotted not in registered:
                errors.append(
                    checks.Error(
                        f"{dotted} is an encrypted PII field but is not in PII_FIELDS",
                        hint="Add it to accounts/pii/registry.py so audit_pii and rotate_pii_key cover it.",
                        id="accounts.E001",
                    )
                )
    for model, field in registered_pii_fields():
        if not isinstance(field, PIIEncryptionMixin):
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{field.name} is registered as PII but is not encrypted",
                    hint="Declare it with an EncryptedPII*Field from accounts/pii/fields.py.",
                    id="accounts.E002",
                )
            )
    return errors
