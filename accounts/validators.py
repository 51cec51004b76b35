from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError


def reject_control_characters(value: str) -> None:
    """Control and format characters (NUL, newlines, bidi overrides) have no
    place in a name or an address; they spoof displays and break logs."""
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in value or ""):
        raise ValidationError("Remove control or invisible characters.", code="control_characters")
