"""The blind index: find an account by email without decrypting any row.

HMAC-SHA256 under its own key (BLIND_INDEX_KEY), over the normalised address,
so equal addresses give equal index values while the index reveals nothing to
someone without the key (a plain hash of an email is reversible by guessing).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from django.conf import settings


def normalise_email(email: str) -> str:
    """NFKC, trimmed, case-folded: two spellings of one address become one."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def email_index(email: str) -> str:
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, normalise_email(email).encode("utf-8"), hashlib.sha256).hexdigest()
