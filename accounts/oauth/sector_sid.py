"""The ``sid`` a partner site sees: one per sector, resolved back to the one SSO session.

OpenID Connect Core section 17.3: sites in different sectors must not be able
to link a user by an identifier they both receive. A pairwise ``sub`` alone is
not enough if the ``sid`` in their ID, access and logout tokens is the same, so
each sector (``PartnerSite.sector_identifier``, as for pairwise subjects) gets
the SSO session's sid encrypted deterministically with AES-SIV, the sector as
associated data: stable within a sector, unrelated across sectors, and turned
back into the internal sid without any table.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from accounts.models import PartnerSite

MAX_SECTOR_SID_LENGTH = 256


@functools.cache
def _cipher(pairwise_key: str) -> AESSIV:
    # Derived from the pairwise-subject key: both keep sectors apart, and a
    # rotation of that key re-keys subjects and sids together.
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"sso sector sid").derive(pairwise_key.encode())
    return AESSIV(key)


def _associated(site: PartnerSite) -> list[bytes]:
    return [b"sid", site.sector_identifier.encode()]


def sid_for(sid: str, site: PartnerSite) -> str:
    """The SSO session ``sid`` as ``site``'s sector sees it."""
    sealed = _cipher(settings.PAIRWISE_SUBJECT_KEY).encrypt(sid.encode(), _associated(site))
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def internal_sid(sector_sid: object, site: PartnerSite | None) -> str | None:
    """The SSO session's own sid behind ``sector_sid`` of ``site``'s sector, or None."""
    if site is None or not isinstance(sector_sid, str) or not sector_sid or len(sector_sid) > MAX_SECTOR_SID_LENGTH:
        return None
    try:
        sealed = base64.urlsafe_b64decode(sector_sid + "=" * (-len(sector_sid) % 4))
        return _cipher(settings.PAIRWISE_SUBJECT_KEY).decrypt(sealed, _associated(site)).decode()
    except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
        return None
