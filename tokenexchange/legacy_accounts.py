"""Links between the legacy provider's subjects and our accounts, and their import."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction

from accounts.models import User
from accounts.validators import reject_control_characters
from tokenexchange.models import LegacyAccountLink


def legacy_sub_index(legacy_sub: str) -> str:
    """Keyed hash of the legacy subject: linkable for us, opaque in a database copy."""
    message = b"legacy-sub\x00" + legacy_sub.encode()
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def linked_user(legacy_sub: str) -> User | None:
    link = (
        LegacyAccountLink.objects.select_related("user").filter(legacy_sub_index=legacy_sub_index(legacy_sub)).first()
    )
    return link.user if link else None


@dataclass(frozen=True)
class LegacyAccount:
    line: int
    legacy_sub: str
    email: str
    name: str


class ImportFileError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    accounts: int = 0
    users_created: int = 0
    users_matched: int = 0
    links_created: int = 0
    links_unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def _validated(line_number: int, raw: str) -> LegacyAccount:
    try:
        record = json.loads(raw)
    except ValueError:
        raise ValueError("not valid JSON") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = {"legacy_sub", "email"} - record.keys()
    if missing:
        raise ValueError(f"missing {', '.join(sorted(missing))}")
    legacy_sub, email, name = record["legacy_sub"], record["email"], record.get("name", "")
    if not isinstance(legacy_sub, str) or not legacy_sub.strip() or len(legacy_sub) > 255:
        raise ValueError("legacy_sub must be a non-empty string of at most 255 characters")
    if not isinstance(email, str) or not isinstance(name, str):
        raise ValueError("email and name must be strings")
    email = email.strip()
    try:
        EmailValidator()(email)
        reject_control_characters(email)
        reject_control_characters(name)
        reject_control_characters(legacy_sub)
    except ValidationError as error:
        raise ValueError(f"invalid email or name ({error.messages[0]})") from None
    if len(email) > 254 or len(name) > 150:
        raise ValueError("email or name too long")
    return LegacyAccount(line_number, legacy_sub, email, name.strip())


def parse_legacy_accounts(lines) -> list[LegacyAccount]:
    """Every line valid, or ImportFileError naming each bad line (values never echoed: PII)."""
    accounts, errors, seen = [], [], {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            account = _validated(number, raw)
        except ValueError as error:
            errors.append(f"line {number}: {error}")
            continue
        if account.legacy_sub in seen:
            errors.append(f"line {number}: legacy_sub already on line {seen[account.legacy_sub]}")
            continue
        seen[account.legacy_sub] = number
        accounts.append(account)
    if errors:
        raise ImportFileError(errors)
    return accounts


def import_legacy_accounts(accounts: list[LegacyAccount]) -> ImportReport:
    """All or nothing: one transaction; running it again changes nothing."""
    report = ImportReport(accounts=len(accounts))
    with transaction.atomic():
        for account in accounts:
            try:
                user = User.objects.get_by_email(account.email)
                report.users_matched += 1
            except User.DoesNotExist:
                user = User.objects.create_user(account.email, None, name=account.name)
                report.users_created += 1
            link, created = LegacyAccountLink.objects.get_or_create(
                legacy_sub_index=legacy_sub_index(account.legacy_sub), defaults={"user": user}
            )
            if created:
                report.links_created += 1
            elif link.user_id == user.pk:
                report.links_unchanged += 1
            else:
                raise ImportFileError([f"line {account.line}: legacy_sub is already linked to another account"])
    return report
